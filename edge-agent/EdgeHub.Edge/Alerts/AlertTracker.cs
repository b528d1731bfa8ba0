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
public sealed class AlertTracker
{
    private readonly Slot[] _slots = new Slot[AlertKinds.Count];
    private readonly AlertOptions _options;

    /// <summary>Creates the tracker of one device.</summary>
    public AlertTracker(AlertOptions options) => _options = options ?? throw new ArgumentNullException(nameof(options));

    /// <summary>True when any alert of this device is active.</summary>
    public bool AnyActive
    {
        get
        {
            foreach (ref readonly var s in _slots.AsSpan())
            {
                if (s.AlertId is not null)
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
            string? id = null;
            var best = -1;
            long started = long.MaxValue;
            for (var i = 0; i < _slots.Length; i++)
            {
                ref readonly var s = ref _slots[i];
                if (s.AlertId is null)
                {
                    continue;
                }

                var sev = (int)s.Severity;
                if (sev > best || (sev == best && s.StartedMicros < started))
                {
                    best = sev;
                    started = s.StartedMicros;
                    id = s.AlertId;
                }
            }

            return id;
        }
    }

    /// <summary>Adds the id of every active alert to <paramref name="ids"/>.</summary>
    public void CopyActiveIds(List<string> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        foreach (ref readonly var s in _slots.AsSpan())
        {
            if (s.AlertId is not null)
            {
                ids.Add(s.AlertId);
            }
        }
    }

    /// <summary>Active alert id of <paramref name="kind"/>, or null.</summary>
    public string? ActiveId(AlertKind kind) => _slots[kind.Index].AlertId;

    /// <summary>When the active episode of <paramref name="kind"/> began (device time, µs; the first window above).</summary>
    public long StartedMicros(AlertKind kind) => _slots[kind.Index].StartedMicros;

    /// <summary>Time of the first of the consecutive windows above that led to the raise (µs).</summary>
    public long FirstAboveMicros(AlertKind kind) => _slots[kind.Index].FirstAboveMicros;

    /// <summary>Current severity of the active episode of <paramref name="kind"/>.</summary>
    public AlertSeverity Severity(AlertKind kind) => _slots[kind.Index].Severity;

    /// <summary>
    /// Feeds one evaluation of <paramref name="kind"/> at device time <paramref name="nowMicros"/>.
    /// <paramref name="above"/>: the condition holds (counts towards raising); <paramref name="below"/>: it is clearly
    /// absent (counts towards clearing). <paramref name="severity"/> may escalate an active episode.
    /// <paramref name="alertId"/> is the episode's id (also for <see cref="AlertTransition.Cleared"/>), or null.
    /// </summary>
    public AlertTransition Evaluate(AlertKind kind, bool above, bool below, long nowMicros, AlertSeverity severity, out string? alertId)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ref var s = ref _slots[kind.Index];
        alertId = s.AlertId;
        var raiseAfter = kind.RaiseAfter > 0 ? kind.RaiseAfter : _options.RaiseAfter;
        var clearAfter = kind.ClearAfter > 0 ? kind.ClearAfter : _options.ClearAfter;
        if (s.AlertId is null)
        {
            if (!above)
            {
                s.Count = 0;
                return AlertTransition.None;
            }

            if (s.Count == 0)
            {
                s.FirstAboveMicros = nowMicros;
            }

            if (++s.Count < raiseAfter)
            {
                return AlertTransition.None;
            }

            s.AlertId = NewAlertId();
            s.StartedMicros = s.FirstAboveMicros;
            s.LastSentMicros = nowMicros;
            s.Severity = severity;
            s.Count = 0;
            alertId = s.AlertId;
            return AlertTransition.Raised;
        }

        if (below)
        {
            if (++s.Count >= clearAfter)
            {
                s = default;
                return AlertTransition.Cleared;
            }

            return AlertTransition.None;
        }

        s.Count = 0;
        if (above && severity > s.Severity)
        {
            s.Severity = severity;
            s.LastSentMicros = nowMicros;
            return AlertTransition.Updated;
        }

        if (above && nowMicros - s.LastSentMicros >= (long)(_options.UpdateIntervalSeconds * 1e6))
        {
            s.LastSentMicros = nowMicros;
            return AlertTransition.Updated;
        }

        return AlertTransition.None;
    }

    /// <summary>A new, globally unique alert id (time-ordered).</summary>
    public static string NewAlertId() => "al-" + Guid.CreateVersion7().ToString("N");

    private struct Slot
    {
        public string? AlertId;
        public int Count;
        public long FirstAboveMicros;
        public long StartedMicros;
        public long LastSentMicros;
        public AlertSeverity Severity;
    }
}
