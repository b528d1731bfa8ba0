using EdgeHub.Contracts;

namespace EdgeHub.Edge.Alerts;

/// <summary>What one evaluation changed.</summary>
public enum AlertTransition
{
    /// <summary>Nothing to send.</summary>
    None,
    /// <summary>A new episode: send "raised" with a new alert id.</summary>
    Raised,
    /// <summary>The active episode changed severity or is due a periodic update.</summary>
    Updated,
    /// <summary>The episode ended: send "cleared".</summary>
    Cleared,
}

/// <summary>
/// Hysteresis and de-duplication for one device: per kind, raise after k consecutive evaluations above the raise threshold,
/// clear after m consecutive below the (lower) clear threshold; one alert id per episode, so a flickering rhythm produces
/// one alert, not a storm. Evaluations between the thresholds keep the current state. Not thread-safe: one device's
/// windows are evaluated in order by one thread.
/// </summary>
/// <remarks>
/// One tracker per device, thousands per edge, most of them quiet: the counting state of every kind is held inline
/// (about 130 bytes), and an episode's details (id, start, severity) only exist while that alert is active.
/// </remarks>
public sealed class AlertTracker
{
    /// <summary>Ended, never-windowed alerts kept for the next window at most (more is a device that never gets a window).</summary>
    public const int MaxUnlinked = 16;

    private readonly AlertOptions _options;
    private PerKind<int> _counts;
    private PerKind<long> _firstAboveMicros;
    private Episode?[]? _active;
    // Episodes that ended before any window was linked to them (raised and cleared in a device's first 10 s, before its
    // first window): the next window covers them, so it carries their ids, or a clinician's label would find no window.
    private List<string>? _endedUnlinked;

    /// <summary>Creates the tracker of one device.</summary>
    public AlertTracker(AlertOptions options) => _options = options ?? throw new ArgumentNullException(nameof(options));

    /// <summary>True when any alert of this device is active.</summary>
    public bool AnyActive
    {
        get
        {
            if (_active is null)
            {
                return false;
            }

            foreach (var e in _active)
            {
                if (e is not null)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>The id of the most severe active alert (ties: the oldest), or null.</summary>
    public string? MostSevereAlertId
    {
        get
        {
            if (_active is null)
            {
                return null;
            }

            Episode? best = null;
            foreach (var e in _active)
            {
                if (e is not null && (best is null || e.Severity > best.Severity || (e.Severity == best.Severity && e.StartedMicros < best.StartedMicros)))
                {
                    best = e;
                }
            }

            return best?.AlertId;
        }
    }

    /// <summary>
    /// Adds the ids of the alerts a new window belongs to: every active alert, and every alert that ended without any window
    /// (the window covers it: windows span <see cref="FeatureSchema.WindowSeconds"/> and come once a second after the first).
    /// </summary>
    public void CopyWindowAlertIds(List<string> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (_endedUnlinked is { Count: > 0 } ended)
        {
            ids.AddRange(ended);
            ended.Clear();
        }

        if (_active is null)
        {
            return;
        }

        foreach (var e in _active)
        {
            if (e is not null)
            {
                ids.Add(e.AlertId);
                e.Linked = true;
            }
        }
    }

    /// <summary>Active alert id of <paramref name="kind"/>, or null.</summary>
    public string? ActiveId(AlertKind kind) => Active(kind)?.AlertId;

    /// <summary>When the active episode of <paramref name="kind"/> began (device time, µs; the first window above).</summary>
    public long StartedMicros(AlertKind kind) => Active(kind)?.StartedMicros ?? 0;

    /// <summary>Time of the first of the consecutive windows above that led to the raise (µs).</summary>
    public long FirstAboveMicros(AlertKind kind)
    {
        ArgumentNullException.ThrowIfNull(kind);
        return _firstAboveMicros[kind.Index];
    }

    /// <summary>Current severity of the active episode of <paramref name="kind"/>.</summary>
    public AlertSeverity Severity(AlertKind kind) => Active(kind)?.Severity ?? default;

    /// <summary>
    /// Feeds one evaluation of <paramref name="kind"/> at device time <paramref name="nowMicros"/>.
    /// <paramref name="above"/>: the condition holds (counts towards raising); <paramref name="below"/>: it is clearly
    /// absent (counts towards clearing). <paramref name="severity"/> may escalate an active episode.
    /// <paramref name="alertId"/> is the episode's id (also for <see cref="AlertTransition.Cleared"/>), or null.
    /// </summary>
    public AlertTransition Evaluate(AlertKind kind, bool above, bool below, long nowMicros, AlertSeverity severity, out string? alertId)
    {
        ArgumentNullException.ThrowIfNull(kind);
        var k = kind.Index;
        ref var count = ref _counts[k];
        var episode = _active?[k];
        alertId = episode?.AlertId;
        var raiseAfter = kind.RaiseAfter > 0 ? kind.RaiseAfter : _options.RaiseAfter;
        var clearAfter = kind.ClearAfter > 0 ? kind.ClearAfter : _options.ClearAfter;
        if (episode is null)
        {
            if (!above)
            {
                count = 0;
                return AlertTransition.None;
            }

            if (count == 0)
            {
                _firstAboveMicros[k] = nowMicros;
            }

            if (++count < raiseAfter)
            {
                return AlertTransition.None;
            }

            episode = new Episode(NewAlertId(), _firstAboveMicros[k]) { LastSentMicros = nowMicros, Severity = severity };
            (_active ??= new Episode?[AlertKinds.Count])[k] = episode;
            count = 0;
            alertId = episode.AlertId;
            return AlertTransition.Raised;
        }

        if (below)
        {
            if (++count >= clearAfter)
            {
                if (!episode.Linked)
                {
                    RememberUnlinked(episode.AlertId);
                }

                _active![k] = null;
                count = 0;
                _firstAboveMicros[k] = 0;
                return AlertTransition.Cleared;
            }

            return AlertTransition.None;
        }

        count = 0;
        if (above && severity > episode.Severity)
        {
            episode.Severity = severity;
            episode.LastSentMicros = nowMicros;
            return AlertTransition.Updated;
        }

        if (above && nowMicros - episode.LastSentMicros >= (long)(_options.UpdateIntervalSeconds * 1e6))
        {
            episode.LastSentMicros = nowMicros;
            return AlertTransition.Updated;
        }

        return AlertTransition.None;
    }

    private void RememberUnlinked(string alertId)
    {
        var ended = _endedUnlinked ??= new List<string>(1);
        if (ended.Count == MaxUnlinked)
        {
            ended.RemoveAt(0); // a device that never completes a window (its rate keeps changing) must not grow this
        }

        ended.Add(alertId);
    }

    /// <summary>A new, globally unique alert id (time-ordered).</summary>
    public static string NewAlertId() => "al-" + Guid.CreateVersion7().ToString("N");

    private Episode? Active(AlertKind kind)
    {
        ArgumentNullException.ThrowIfNull(kind);
        return _active?[kind.Index];
    }

    /// <summary>One active alert: its id, when it began and what was last sent.</summary>
    private sealed class Episode(string alertId, long startedMicros)
    {
        public string AlertId { get; } = alertId;

        public long StartedMicros { get; } = startedMicros;

        public long LastSentMicros { get; set; }

        public AlertSeverity Severity { get; set; }

        /// <summary>At least one window was linked to this episode.</summary>
        public bool Linked { get; set; }
    }

    /// <summary>One value per alert kind, stored inside the tracker.</summary>
    [System.Runtime.CompilerServices.InlineArray(AlertKinds.Count)]
    private struct PerKind<T>
    {
        private T _element;
    }
}
