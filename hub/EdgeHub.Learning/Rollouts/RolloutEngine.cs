using System.Globalization;

namespace EdgeHub.Learning.Rollouts;

/// <summary>
/// One region's rollouts as a pure state machine: no clock, no I/O. The hub feeds it edge observations and the time with
/// <see cref="Tick"/>, and publishes the <see cref="AssignmentCommand"/>s it returns as retained messages. A rollout goes
/// pending → canary → waves → complete; an operator may pause/resume or abort it; any abort criterion on any assigned edge rolls
/// every edge it touched back to the region's last good model. Pinned edges are never moved by rollouts.
/// Not thread-safe: call it from one place (the hub's rollout loop) or under a lock.
/// </summary>
public sealed partial class RolloutEngine
{
    private readonly RolloutSnapshot _s;

    /// <summary>A region with <paramref name="lastGoodModel"/> deployed (null: none yet) and the given known edges.</summary>
    public RolloutEngine(string region, string? lastGoodModel, IEnumerable<string>? edges = null, DateTimeOffset? now = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(region);
        _s = new RolloutSnapshot { Region = region, LastGoodModel = lastGoodModel };
        foreach (var e in edges ?? [])
        {
            _s.Edges[e] = new EdgeTrack { LastSeen = now ?? DateTimeOffset.MinValue, Online = true };
        }
    }

    private RolloutEngine(RolloutSnapshot snapshot) => _s = snapshot;

    public string Region => _s.Region;

    /// <summary>The model edges run outside rollouts (the last completed rollout's model).</summary>
    public string? LastGoodModel => _s.LastGoodModel;

    /// <summary>The rollout in progress (or paused), if any.</summary>
    public RolloutRecord? Active => _s.Active;

    /// <summary>Finished rollouts, oldest first.</summary>
    public IReadOnlyList<RolloutRecord> Finished => _s.Finished;

    /// <summary>Edges known in the region.</summary>
    public IReadOnlyCollection<string> Edges => _s.Edges.Keys;

    /// <summary>Pinned edges and their models.</summary>
    public IReadOnlyDictionary<string, string> Pins => _s.Pins;

    /// <summary>The region's operator log (pins, unpins, direct model switches, every rollout action), oldest first, bounded.</summary>
    public IReadOnlyList<RolloutEvent> Log => _s.Log;

    /// <summary>The whole state, for persistence (serialise with LearningJson.Default.RolloutSnapshot).</summary>
    public RolloutSnapshot Snapshot() => _s;

    /// <summary>An engine continuing from a persisted snapshot.</summary>
    public static RolloutEngine Restore(RolloutSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return new RolloutEngine(snapshot);
    }

    /// <summary>Adds an edge to the region's fleet (edges also join when they first report).</summary>
    public void RegisterEdge(string edgeId, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(edgeId);
        if (!_s.Edges.ContainsKey(edgeId))
        {
            _s.Edges[edgeId] = new EdgeTrack { LastSeen = now, Online = true };
        }
    }

    /// <summary>Creates a rollout in state Pending; it starts at the next <see cref="Tick"/> at or after its start time.
    /// <paramref name="actor"/> (who asked) goes into its history.</summary>
    /// <exception cref="InvalidOperationException">Another rollout is in progress, or the plan does not fit the fleet.</exception>
    public RolloutRecord Create(RolloutPlan plan, DateTimeOffset now, string? actor = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        plan.Validate();
        if (plan.Region != Region)
        {
            throw new ArgumentException($"plan is for region {plan.Region}; this engine runs region {Region}", nameof(plan));
        }

        if (_s.Active is { } active)
        {
            throw new InvalidOperationException($"rollout {active.RolloutId} of {active.Plan.ModelVersion} is {active.State}; finish, abort or roll it back first");
        }

        if (plan.ModelVersion == _s.LastGoodModel)
        {
            throw new InvalidOperationException($"{plan.ModelVersion} is already the region's model");
        }

        foreach (var e in plan.CanaryEdges ?? [])
        {
            if (!_s.Edges.ContainsKey(e))
            {
                throw new InvalidOperationException($"canary edge {e} is not known in region {Region}; known: {string.Join(", ", SortedEdges())}");
            }

            if (_s.Pins.TryGetValue(e, out var pinned))
            {
                throw new InvalidOperationException($"canary edge {e} is pinned to {pinned}; unpin it or pick another canary");
            }
        }

        var record = new RolloutRecord { Plan = plan, State = RolloutState.Pending, CreatedAt = now, PreviousModel = _s.LastGoodModel };
        Record(record, new RolloutEvent(now, "created",
            F($"{plan.ModelVersion} over {record.PreviousModel ?? "(no model)"}; {plan.Waves.Count} waves"), null, RolloutState.Pending, actor));
        _s.Active = record;
        return record;
    }

    /// <summary>Advances time: records observations, checks abort criteria, starts, advances or completes the rollout.</summary>
    public IReadOnlyList<AssignmentCommand> Tick(DateTimeOffset now, IReadOnlyList<EdgeObservation> observations)
    {
        ArgumentNullException.ThrowIfNull(observations);
        foreach (var o in observations)
        {
            Observe(o, now);
        }

        var commands = new List<AssignmentCommand>();
        if (_s.Active is not { } r)
        {
            return commands;
        }

        if (r.State == RolloutState.Pending)
        {
            if (r.Plan.StartAt is { } start && now < start)
            {
                return commands;
            }

            Start(r, now, commands);
        }

        if (r.State is RolloutState.Canary or RolloutState.Waves or RolloutState.Paused)
        {
            NoteRunning(r, now);
            if (FindAbortReason(r, now) is { } reason)
            {
                RollBack(r, now, "automatic rollback: " + reason, commands);
                return commands;
            }

            if (r.State != RolloutState.Paused)
            {
                Advance(r, now, commands);
            }
        }

        return commands;
    }

    /// <summary>
    /// Makes <paramref name="modelVersion"/> the region's model without a rollout (a region's first model, or an operator's
    /// emergency switch) and returns the assignments for every edge. Refused while a rollout is in progress.
    /// </summary>
    public IReadOnlyList<AssignmentCommand> SetRegionModel(string modelVersion, DateTimeOffset now, string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelVersion);
        if (_s.Active is { } active)
        {
            throw new InvalidOperationException($"rollout {active.RolloutId} is {active.State}; abort it before switching the region's model directly");
        }

        var previous = _s.LastGoodModel;
        _s.LastGoodModel = modelVersion;
        if (_s.Finished.Count > 0)
        {
            _s.Finished[^1].History.Add(new RolloutEvent(now, "region-model", F($"{previous ?? "(no model)"} → {modelVersion}: {reason}")));
        }

        AppendLog(new RolloutEvent(now, "region-model", F($"{previous ?? "(no model)"} → {modelVersion}: {reason}")));

        return Reconcile();
    }

    /// <summary>
    /// Assignments that make every edge match the engine's view (region model, pins, rollout edges): publish them after a hub
    /// restart or when an edge joins, so retained messages agree with the state.
    /// </summary>
    public IReadOnlyList<AssignmentCommand> Reconcile()
    {
        var commands = new List<AssignmentCommand>
        {
            new() { Region = Region, ModelVersion = _s.LastGoodModel, Reason = "region model" },
        };
        var r = _s.Active;
        foreach (var e in SortedEdges())
        {
            if (_s.Pins.TryGetValue(e, out var pinned))
            {
                commands.Add(new AssignmentCommand { Region = Region, EdgeId = e, ModelVersion = pinned, Reason = "pinned" });
            }
            else if (r is not null && r.Assigned.ContainsKey(e))
            {
                commands.Add(new AssignmentCommand
                {
                    Region = Region, EdgeId = e, ModelVersion = r.Plan.ModelVersion, RolloutId = r.RolloutId,
                    ShadowWindows = r.Plan.ShadowWindows, Reason = "rollout " + r.RolloutId,
                });
            }
            else
            {
                commands.Add(new AssignmentCommand { Region = Region, EdgeId = e, ModelVersion = _s.LastGoodModel, Reason = "region model" });
            }
        }

        return commands;
    }

    private void Observe(EdgeObservation o, DateTimeOffset now)
    {
        if (!_s.Edges.TryGetValue(o.EdgeId, out var track))
        {
            track = new EdgeTrack();
            _s.Edges[o.EdgeId] = track;
        }

        var at = o.At == default ? now : o.At;
        if (o.Online && at >= track.LastSeen)
        {
            track.LastSeen = at;
        }

        track.Online = o.Online;
        track.Last = o;
    }

    private List<string> SortedEdges()
    {
        var list = new List<string>(_s.Edges.Keys);
        list.Sort(StringComparer.Ordinal);
        return list;
    }

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
