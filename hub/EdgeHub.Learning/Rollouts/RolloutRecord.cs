namespace EdgeHub.Learning.Rollouts;

/// <summary>
/// One entry of a rollout's history: a state transition, assignments, an abort reason, a pin. <see cref="Actor"/> names who
/// asked (an operator's identity) for operator actions, null for the engine's own decisions.
/// </summary>
public sealed record RolloutEvent(DateTimeOffset At, string Kind, string Detail, RolloutState? From = null, RolloutState? To = null,
    string? Actor = null);

/// <summary>
/// One rollout's state (JSON-serialisable, part of <see cref="RolloutSnapshot"/>). Read it; change it only through
/// <see cref="RolloutEngine"/>.
/// </summary>
public sealed class RolloutRecord
{
    public required RolloutPlan Plan { get; set; }
    public RolloutState State { get; set; }
    /// <summary>The state a paused rollout resumes into.</summary>
    public RolloutState? PausedFrom { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    /// <summary>The region's last good model when the rollout was created: what a rollback returns to.</summary>
    public string? PreviousModel { get; set; }
    /// <summary>Edges this rollout moves, in switching order (canaries first).</summary>
    public List<string> Targets { get; set; } = [];
    /// <summary>How many of <see cref="Targets"/> are canaries.</summary>
    public int CanaryCount { get; set; }
    /// <summary>Phase: -1 canary, 0.. wave index.</summary>
    public int Phase { get; set; } = -1;
    /// <summary>Edges assigned the model, and when.</summary>
    public Dictionary<string, DateTimeOffset> Assigned { get; set; } = new(StringComparer.Ordinal);
    /// <summary>Edges first seen running the model, and when.</summary>
    public Dictionary<string, DateTimeOffset> Running { get; set; } = new(StringComparer.Ordinal);
    /// <summary>Each assigned edge's last model error at assignment time: an error that was already there is not this model's.</summary>
    public Dictionary<string, string> ErrorAtAssignment { get; set; } = new(StringComparer.Ordinal);
    public string? AbortReason { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public List<RolloutEvent> History { get; set; } = [];

    public string RolloutId => Plan.RolloutId;

    public bool IsFinal => State is RolloutState.Complete or RolloutState.RolledBack;
}

/// <summary>What the hub knows about one edge of the region.</summary>
public sealed class EdgeTrack
{
    public DateTimeOffset LastSeen { get; set; }
    public bool Online { get; set; }
    public EdgeObservation? Last { get; set; }
}

/// <summary>A region's whole rollout state: persist it after every change (JSON via LearningJson) and restore with <see cref="RolloutEngine.Restore"/>.</summary>
public sealed class RolloutSnapshot
{
    public required string Region { get; set; }
    /// <summary>The region's last good model (what edges run outside rollouts).</summary>
    public string? LastGoodModel { get; set; }
    public Dictionary<string, EdgeTrack> Edges { get; set; } = new(StringComparer.Ordinal);
    /// <summary>Pinned edges and their model.</summary>
    public Dictionary<string, string> Pins { get; set; } = new(StringComparer.Ordinal);
    public RolloutRecord? Active { get; set; }
    /// <summary>Finished rollouts, oldest first.</summary>
    public List<RolloutRecord> Finished { get; set; } = [];
    /// <summary>The region's operator log: pins, unpins, direct model switches and every rollout's events, oldest first (bounded).</summary>
    public List<RolloutEvent> Log { get; set; } = [];
}
