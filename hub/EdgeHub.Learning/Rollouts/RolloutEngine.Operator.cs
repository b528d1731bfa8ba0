namespace EdgeHub.Learning.Rollouts;

/// <summary>
/// Operator actions: pause, resume, promote (next phase now), abort (roll back), pin and unpin. Each names its actor and reason,
/// lands in the rollout's history (and the region's log), and is refused with an <see cref="InvalidOperationException"/> that
/// says why when the rollout's state does not allow it.
/// </summary>
public sealed partial class RolloutEngine
{
    private const int MaxLogEntries = 500;

    /// <summary>Pause: no further edges switch until <see cref="Resume"/>; abort criteria still apply.</summary>
    /// <exception cref="InvalidOperationException">No rollout in progress, or it is already paused.</exception>
    public void Pause(DateTimeOffset now, string actor, string? reason)
    {
        var r = RequireActive("pause");
        if (r.State is not (RolloutState.Canary or RolloutState.Waves or RolloutState.Pending))
        {
            throw new InvalidOperationException($"rollout {r.RolloutId} is {r.State}; only a pending or running rollout can be paused");
        }

        r.PausedFrom = r.State;
        Transition(r, RolloutState.Paused, now, Because("paused", reason), actor);
    }

    /// <summary>Resume of a paused rollout: it continues the phase it was paused in.</summary>
    /// <exception cref="InvalidOperationException">No rollout in progress, or it is not paused.</exception>
    public void Resume(DateTimeOffset now, string actor, string? reason)
    {
        var r = RequireActive("resume");
        if (r.State != RolloutState.Paused)
        {
            throw new InvalidOperationException($"rollout {r.RolloutId} is {r.State}, not paused; only a paused rollout can be resumed");
        }

        Transition(r, r.PausedFrom ?? RolloutState.Canary, now, Because("resumed", reason), actor);
        r.PausedFrom = null;
    }

    /// <summary>
    /// Promote: start the next phase now (a pending rollout starts its canary; the canary or a wave gives way to the next wave; the
    /// last phase completes the rollout). It skips the bake time only: every edge of the current phase must already run the
    /// model and pass the abort criteria.
    /// </summary>
    /// <exception cref="InvalidOperationException">No rollout in progress, paused, or the current phase's edges are not all running healthy.</exception>
    public IReadOnlyList<AssignmentCommand> Promote(DateTimeOffset now, string actor, string? reason)
    {
        var r = RequireActive("promote");
        var commands = new List<AssignmentCommand>();
        if (r.State == RolloutState.Paused)
        {
            throw new InvalidOperationException($"rollout {r.RolloutId} is paused; resume it before promoting");
        }

        if (r.State == RolloutState.Pending)
        {
            Record(r, new RolloutEvent(now, "promote", Because("start now instead of at the scheduled time", reason), Actor: actor));
            Start(r, now, commands);
            return commands;
        }

        NoteRunning(r, now);
        var waiting = new List<string>();
        foreach (var e in r.Assigned.Keys)
        {
            if (!r.Running.ContainsKey(e))
            {
                waiting.Add(e);
            }
        }

        if (waiting.Count > 0)
        {
            waiting.Sort(StringComparer.Ordinal);
            throw new InvalidOperationException(
                $"rollout {r.RolloutId}: {string.Join(", ", waiting)} not yet running {r.Plan.ModelVersion}; promote skips the bake time, not the switch: wait for them or roll back");
        }

        if (FindAbortReason(r, now) is { } unhealthy)
        {
            throw new InvalidOperationException($"rollout {r.RolloutId} fails an abort criterion ({unhealthy}); it will roll back at the next tick, not be promoted");
        }

        var phase = r.Phase < 0 ? "canary" : F($"wave {r.Phase + 1}");
        Record(r, new RolloutEvent(now, "promote", Because(F($"{phase} ends now, without the rest of its bake time"), reason), Actor: actor));
        Advance(r, now, commands, skipBake: true);
        return commands;
    }

    /// <summary>Abort: every edge the rollout touched goes back to the last good model at once.</summary>
    /// <exception cref="InvalidOperationException">No rollout in progress.</exception>
    public IReadOnlyList<AssignmentCommand> Abort(DateTimeOffset now, string actor, string? reason)
    {
        var r = RequireActive("roll back");
        var commands = new List<AssignmentCommand>();
        RollBack(r, now, "operator rollback: " + (string.IsNullOrWhiteSpace(reason) ? "no reason given" : reason), commands, actor);
        return commands;
    }

    /// <summary>Pins an edge to a model: rollouts leave it alone until <see cref="Unpin"/>.</summary>
    public IReadOnlyList<AssignmentCommand> Pin(string edgeId, string modelVersion, DateTimeOffset now, string actor, string? reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(edgeId);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelVersion);
        RegisterEdge(edgeId, now);
        _s.Pins[edgeId] = modelVersion;
        var detail = Because(F($"{edgeId} pinned to {modelVersion}"), reason);
        if (_s.Active is { } r && !r.IsFinal)
        {
            r.Targets.Remove(edgeId);
            r.Assigned.Remove(edgeId);
            r.Running.Remove(edgeId);
            Record(r, new RolloutEvent(now, "pin", detail + "; left out of the rollout", Actor: actor));
        }
        else
        {
            AppendLog(new RolloutEvent(now, "pin", detail, Actor: actor));
        }

        return [new AssignmentCommand { Region = Region, EdgeId = edgeId, ModelVersion = modelVersion, Reason = "pinned" }];
    }

    /// <summary>Unpins an edge: it returns to the region's model, or joins the rollout in progress as a not-yet-switched edge.</summary>
    /// <exception cref="InvalidOperationException">The edge is not pinned.</exception>
    public IReadOnlyList<AssignmentCommand> Unpin(string edgeId, DateTimeOffset now, string actor, string? reason)
    {
        if (!_s.Pins.Remove(edgeId, out var was))
        {
            throw new InvalidOperationException($"edge {edgeId} is not pinned; nothing to unpin");
        }

        var detail = Because(F($"{edgeId} unpinned from {was}"), reason);
        if (_s.Active is { } r && !r.IsFinal && r.State != RolloutState.Pending)
        {
            r.Targets.Add(edgeId);
            Record(r, new RolloutEvent(now, "unpin", detail + "; joins the rollout's remaining edges", Actor: actor));
        }
        else
        {
            AppendLog(new RolloutEvent(now, "unpin", detail, Actor: actor));
        }

        return [new AssignmentCommand { Region = Region, EdgeId = edgeId, ModelVersion = _s.LastGoodModel, Reason = "unpinned" }];
    }

    private RolloutRecord RequireActive(string verb) =>
        _s.Active ?? throw new InvalidOperationException($"region {Region} has no rollout in progress; nothing to {verb}");

    /// <summary>Adds an event to the rollout's history and to the region's log.</summary>
    private void Record(RolloutRecord r, RolloutEvent e)
    {
        r.History.Add(e);
        AppendLog(e with { Detail = F($"{r.RolloutId}: {e.Detail}") });
    }

    private void AppendLog(RolloutEvent e)
    {
        _s.Log.Add(e);
        if (_s.Log.Count > MaxLogEntries)
        {
            _s.Log.RemoveRange(0, _s.Log.Count - MaxLogEntries);
        }
    }

    private static string Because(string what, string? reason) => string.IsNullOrWhiteSpace(reason) ? what : what + ": " + reason;
}
