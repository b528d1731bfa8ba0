namespace EdgeHub.Faults.Tests.Rig;

/// <summary>What a scenario changes in the standard topology (broker, hub, one edge in region "eu").</summary>
public sealed record RigSettings
{
    /// <summary>
    /// The hub runs its own embedded broker (the default single-node and demo topology: killing the hub takes the uplink
    /// broker and every session on it down too) instead of using the standalone broker process.
    /// </summary>
    public bool HubEmbeddedBroker { get; init; }

    /// <summary>The edge's Edge:DiskQuotaMb.</summary>
    public double DiskQuotaMb { get; init; } = 256;

    /// <summary>The edge's Edge:MaxClockSkewSeconds.</summary>
    public double MaxClockSkewSeconds { get; init; } = 300;

    /// <summary>Edge:Sealing:MaxRows (small: many deltas, many chances to be killed mid-seal).</summary>
    public int SealMaxRows { get; init; } = 60;

    /// <summary>Edge:Sealing:MaxSeconds.</summary>
    public double SealMaxSeconds { get; init; } = 1;

    /// <summary>Edge:Sealing:RetrySeconds: first resend delay of an unacknowledged delta.</summary>
    public double RetrySeconds { get; init; } = 0.5;

    /// <summary>Edge:Sealing:MaxRetrySeconds.</summary>
    public double MaxRetrySeconds { get; init; } = 2;

    /// <summary>Edge:Sealing:MaxUnackedDeltas.</summary>
    public int MaxUnackedDeltas { get; init; } = 64;
}
