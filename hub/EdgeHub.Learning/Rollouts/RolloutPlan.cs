using System.Text.Json.Serialization;

namespace EdgeHub.Learning.Rollouts;

/// <summary>Where a rollout stands. Complete and RolledBack are final.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RolloutState>))]
public enum RolloutState
{
    /// <summary>Created; waits for its start time (or the next tick).</summary>
    Pending,

    /// <summary>Canary edges run the model (after shadowing it); nobody else does.</summary>
    Canary,

    /// <summary>Waves of further edges switch, each baked for its interval.</summary>
    Waves,

    /// <summary>Every edge of the region runs the model; it is the region's last good model.</summary>
    Complete,

    /// <summary>An operator paused it: no further edges switch; abort criteria still apply.</summary>
    Paused,

    /// <summary>Aborted (automatically or by an operator): every edge it touched went back to the last good model.</summary>
    RolledBack,
}

/// <summary>One wave: how many more edges switch (a count or a percentage of the rollout's edges), and how long it bakes.</summary>
public sealed record RolloutWave
{
    /// <summary>Edges added by this wave; takes precedence over <see cref="Percent"/>.</summary>
    public int? Edges { get; init; }

    /// <summary>Share (0–100) of the rollout's edges added by this wave, rounded up.</summary>
    public double? Percent { get; init; }

    /// <summary>How long the wave's edges must run the model (after all switched) before the next wave.</summary>
    public TimeSpan Interval { get; init; }
}

/// <summary>When to abort a rollout and roll back. Evaluated on every tick for every edge the rollout assigned.</summary>
public sealed record AbortCriteria
{
    /// <summary>
    /// Edges that may fail (report a load or run failure of the model, stay silent past <see cref="SilentTimeout"/>, or not
    /// switch within <see cref="ActivationTimeout"/>) before the rollout aborts (0: the first failing edge aborts).
    /// </summary>
    public int MaxFailedEdges { get; init; }

    /// <summary>Largest tolerated share of windows where the shadowed candidate disagrees with the running model.</summary>
    public double MaxShadowDisagreement { get; init; } = 0.15;

    /// <summary>
    /// Windows a shadow run must have compared before its agreement counts (when the edge reports the count); a plan that
    /// shadows fewer windows is judged at its own count.
    /// </summary>
    public int MinShadowWindows { get; init; } = 50;

    /// <summary>Largest tolerated share of the model's alerts that clinicians rejected or relabelled.</summary>
    public double MaxOverrideRate { get; init; } = 0.5;

    /// <summary>Alerts an edge must have answered before its override rate counts (when the edge reports the count).</summary>
    public int MinOverrideSamples { get; init; } = 10;

    /// <summary>An assigned edge silent (no status, or offline) for longer counts as a failed edge (see <see cref="MaxFailedEdges"/>).</summary>
    public TimeSpan SilentTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>An assigned edge that has not switched to the model within this time counts as a failed edge.</summary>
    public TimeSpan ActivationTimeout { get; init; } = TimeSpan.FromMinutes(15);
}

/// <summary>What an operator asks for: which model, which edges first, in which waves, under which abort criteria.</summary>
public sealed record RolloutPlan
{
    public required string RolloutId { get; init; }
    public required string Region { get; init; }
    public required string ModelVersion { get; init; }

    /// <summary>Explicit canary edges; when null, <see cref="CanaryPercent"/> picks them.</summary>
    public IReadOnlyList<string>? CanaryEdges { get; init; }

    /// <summary>Share (0–100) of the region's edges used as canaries, rounded up (at least one edge).</summary>
    public double? CanaryPercent { get; init; }

    /// <summary>How long canaries must run the model (after all switched) before the first wave.</summary>
    public TimeSpan CanaryDuration { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Waves after the canary; edges left over when they end switch at completion.</summary>
    public IReadOnlyList<RolloutWave> Waves { get; init; } = [];

    /// <summary>Windows each edge shadows the model before swapping.</summary>
    public int ShadowWindows { get; init; } = 300;

    public AbortCriteria Abort { get; init; } = new();

    /// <summary>Do not start before (null: at the next tick).</summary>
    public DateTimeOffset? StartAt { get; init; }

    /// <summary>Throws with a clear message when the plan cannot work.</summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(RolloutId);
        ArgumentException.ThrowIfNullOrWhiteSpace(Region);
        ArgumentException.ThrowIfNullOrWhiteSpace(ModelVersion);
        if (CanaryEdges is null && CanaryPercent is null)
        {
            throw new ArgumentException("a rollout needs canary edges or a canary percentage");
        }

        if (CanaryPercent is { } p && !(p > 0 && p <= 100))
        {
            throw new ArgumentException($"canary percentage {p} must be within (0, 100]");
        }

        foreach (var w in Waves)
        {
            if (w.Edges is null && w.Percent is null || w.Edges is < 1 || w.Percent is { } wp && !(wp > 0 && wp <= 100))
            {
                throw new ArgumentException("every wave needs a positive edge count or a percentage within (0, 100]");
            }

            if (w.Interval < TimeSpan.Zero)
            {
                throw new ArgumentException("wave intervals must not be negative");
            }
        }

        if (ShadowWindows < 0 || CanaryDuration < TimeSpan.Zero)
        {
            throw new ArgumentException("shadow windows and canary duration must not be negative");
        }
    }
}
