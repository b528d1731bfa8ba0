using System.Globalization;

namespace EdgeHub.Learning.Rollouts;

/// <summary>Starting, advancing, completing and rolling back.</summary>
public sealed partial class RolloutEngine
{
    private void Start(RolloutRecord r, DateTimeOffset now, List<AssignmentCommand> commands)
    {
        // Targets: every known unpinned edge; canaries first, the rest in an order stable per rollout (hash of id + edge),
        // so successive rollouts spread their early waves over different edges.
        var eligible = new List<string>();
        foreach (var e in SortedEdges())
        {
            if (!_s.Pins.ContainsKey(e))
            {
                eligible.Add(e);
            }
        }

        if (eligible.Count == 0)
        {
            Transition(r, RolloutState.RolledBack, now, F($"no unpinned edges in region {Region}; nothing to roll out to"));
            r.AbortReason = "no eligible edges";
            Finish(r, now);
            return;
        }

        var canaries = new List<string>();
        if (r.Plan.CanaryEdges is { } explicitCanaries)
        {
            foreach (var c in explicitCanaries)
            {
                if (eligible.Contains(c) && !canaries.Contains(c))
                {
                    canaries.Add(c);
                }
            }
        }

        var rest = eligible.FindAll(e => !canaries.Contains(e));
        rest.Sort((a, b) => StableOrder(r.RolloutId, a).CompareTo(StableOrder(r.RolloutId, b)));
        if (r.Plan.CanaryEdges is null && r.Plan.CanaryPercent is { } pct)
        {
            var n = Math.Clamp((int)Math.Ceiling(eligible.Count * pct / 100.0), 1, eligible.Count);
            canaries.AddRange(rest.GetRange(0, n));
            rest.RemoveRange(0, n);
        }

        r.Targets = [.. canaries, .. rest];
        r.CanaryCount = canaries.Count;
        r.Phase = -1;
        Transition(r, RolloutState.Canary, now, F($"canaries: {string.Join(", ", canaries)}"));
        Assign(r, canaries, now, "canary", commands);
        if (canaries.Count == 0)
        {
            Advance(r, now, commands);
        }
    }

    private void Advance(RolloutRecord r, DateTimeOffset now, List<AssignmentCommand> commands, bool skipBake = false)
    {
        // The current phase's edges must all run the model, for the phase's bake time (unless an operator promotes), before
        // the next phase starts.
        var bake = r.Phase < 0 ? r.Plan.CanaryDuration : r.Plan.Waves[r.Phase].Interval;
        DateTimeOffset readyAt = DateTimeOffset.MinValue;
        foreach (var e in r.Assigned.Keys)
        {
            if (!r.Running.TryGetValue(e, out var since))
            {
                return;
            }

            if (since > readyAt)
            {
                readyAt = since;
            }
        }

        if (!skipBake && r.Assigned.Count > 0 && now - readyAt < bake)
        {
            return;
        }

        var remaining = r.Targets.FindAll(e => !r.Assigned.ContainsKey(e));
        var nextPhase = r.Phase + 1;
        if (nextPhase >= r.Plan.Waves.Count || remaining.Count == 0)
        {
            Complete(r, now, remaining, commands);
            return;
        }

        var wave = r.Plan.Waves[nextPhase];
        var size = wave.Edges ?? (int)Math.Ceiling(r.Targets.Count * wave.Percent!.Value / 100.0);
        var batch = remaining.GetRange(0, Math.Clamp(size, 1, remaining.Count));
        r.Phase = nextPhase;
        if (r.State != RolloutState.Waves)
        {
            Transition(r, RolloutState.Waves, now, skipBake ? "canaries healthy; promoted" : F($"canaries healthy for {r.Plan.CanaryDuration}"));
        }

        Assign(r, batch, now, F($"wave {nextPhase + 1}"), commands);
    }

    private void Complete(RolloutRecord r, DateTimeOffset now, List<string> remaining, List<AssignmentCommand> commands)
    {
        if (remaining.Count > 0)
        {
            Assign(r, remaining, now, "completion", commands);
        }

        // The region assignment makes the model the default for edges that join later; every unpinned edge also gets a
        // per-edge assignment so no older per-edge retained assignment still overrides it.
        _s.LastGoodModel = r.Plan.ModelVersion;
        commands.Add(new AssignmentCommand
        {
            Region = Region, ModelVersion = r.Plan.ModelVersion, RolloutId = r.RolloutId, ShadowWindows = r.Plan.ShadowWindows,
            Reason = "rollout complete",
        });
        foreach (var e in SortedEdges())
        {
            if (!_s.Pins.ContainsKey(e) && !r.Targets.Contains(e))
            {
                commands.Add(new AssignmentCommand
                {
                    Region = Region, EdgeId = e, ModelVersion = r.Plan.ModelVersion, RolloutId = r.RolloutId,
                    ShadowWindows = r.Plan.ShadowWindows, Reason = "rollout complete (joined during rollout)",
                });
            }
        }

        Transition(r, RolloutState.Complete, now, F($"{r.Plan.ModelVersion} is the region's model on {r.Targets.Count} edges"));
        Finish(r, now);
    }

    private void RollBack(RolloutRecord r, DateTimeOffset now, string reason, List<AssignmentCommand> commands, string? actor = null)
    {
        if (r.IsFinal)
        {
            throw new InvalidOperationException($"rollout {r.RolloutId} is already {r.State}");
        }

        r.AbortReason = reason;
        var back = r.PreviousModel;
        foreach (var e in r.Targets)
        {
            if (!_s.Pins.ContainsKey(e))
            {
                commands.Add(new AssignmentCommand
                {
                    Region = Region, EdgeId = e, ModelVersion = back, RolloutId = r.RolloutId, ShadowWindows = 0,
                    Reason = "rollback: " + reason,
                });
            }
        }

        commands.Add(new AssignmentCommand { Region = Region, ModelVersion = back, RolloutId = r.RolloutId, Reason = "rollback: " + reason });
        _s.LastGoodModel = back;
        Transition(r, RolloutState.RolledBack, now, F($"{reason}; {r.Targets.Count} edges back to {back ?? "(no model)"}"), actor);
        Finish(r, now);
    }

    private void Assign(RolloutRecord r, List<string> edges, DateTimeOffset now, string why, List<AssignmentCommand> commands)
    {
        foreach (var e in edges)
        {
            r.Assigned[e] = now;
            if (_s.Edges.TryGetValue(e, out var track) && track.Last?.ModelError is { } previous)
            {
                r.ErrorAtAssignment[e] = previous;
            }

            commands.Add(new AssignmentCommand
            {
                Region = Region, EdgeId = e, ModelVersion = r.Plan.ModelVersion, RolloutId = r.RolloutId,
                ShadowWindows = r.Plan.ShadowWindows, Reason = F($"rollout {r.RolloutId}: {why}"),
            });
        }

        if (edges.Count > 0)
        {
            Record(r, new RolloutEvent(now, "assign", F($"{why}: {string.Join(", ", edges)} → {r.Plan.ModelVersion}")));
        }
    }

    private void NoteRunning(RolloutRecord r, DateTimeOffset now)
    {
        foreach (var e in r.Assigned.Keys)
        {
            if (!r.Running.ContainsKey(e) && _s.Edges.TryGetValue(e, out var t) && t.Online
                && t.Last?.ModelVersion == r.Plan.ModelVersion)
            {
                r.Running[e] = t.Last.At == default ? now : t.Last.At;
            }
        }
    }

    private void Transition(RolloutRecord r, RolloutState to, DateTimeOffset now, string reason, string? actor = null)
    {
        Record(r, new RolloutEvent(now, "transition", reason, r.State, to, actor));
        r.State = to;
    }

    private void Finish(RolloutRecord r, DateTimeOffset now)
    {
        r.FinishedAt = now;
        _s.Finished.Add(r);
        _s.Active = null;
    }

    private static ulong StableOrder(string rolloutId, string edgeId)
    {
        var h = 14695981039346656037UL;
        foreach (var c in rolloutId)
        {
            h = (h ^ c) * 1099511628211UL;
        }

        h = (h ^ '/') * 1099511628211UL;
        foreach (var c in edgeId)
        {
            h = (h ^ c) * 1099511628211UL;
        }

        return h;
    }

    private static string F2(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
}
