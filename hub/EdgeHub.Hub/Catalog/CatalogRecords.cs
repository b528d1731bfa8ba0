namespace EdgeHub.Hub.Catalog;

/// <summary>A region and its counts.</summary>
public sealed record RegionRecord(string Name, DateTimeOffset CreatedAt, long Edges, long? LatestVersion);

/// <summary>A registered edge with its last reported status.</summary>
public sealed record EdgeRecord
{
    public required string EdgeId { get; init; }
    public required string Region { get; init; }
    public DateTimeOffset RegisteredAt { get; init; }
    /// <summary>"config", "api" or "auto" (first status message).</summary>
    public required string RegisteredBy { get; init; }
    public DateTimeOffset? LastSeen { get; init; }
    public bool Online { get; init; }
    public string? ModelVersion { get; init; }
    public string? CandidateVersion { get; init; }
    public double? ShadowAgreement { get; init; }
    public string? LastModelError { get; init; }
    public long QueueDepth { get; init; }
    public long PendingRows { get; init; }
    public long Devices { get; init; }
    public double FramesPerSecond { get; init; }
    public double? DriftPsi { get; init; }
    public double? OverrideRate { get; init; }
    public string? PinnedModel { get; init; }
    public DateTimeOffset? LastDeltaAt { get; init; }
    /// <summary>The whole status message last stored (model errors with their version, shadow and override samples, …).</summary>
    public Contracts.EdgeStatus? LastStatus { get; init; }
}

/// <summary>One commit of a regional dataset: which delta of which edge made the version.</summary>
public sealed record DatasetVersionRecord(
    string Region,
    long Version,
    DateTimeOffset CommittedAt,
    string EdgeId,
    string DeltaId,
    long Sequence,
    long Rows,
    long LabelledRows,
    long Bytes,
    string Sha256,
    string HubNode);

/// <summary>A delta the hub refused, with the reason the edge was told.</summary>
public sealed record RejectionRecord(DateTimeOffset At, string Region, string EdgeId, string DeltaId, long Sequence, string Reason, string HubNode);

/// <summary>How an edge registration went.</summary>
public enum RegistrationOutcome
{
    /// <summary>A new edge.</summary>
    Created,
    /// <summary>Already registered in that region.</summary>
    Unchanged,
    /// <summary>Moved to another region (explicit operator action only).</summary>
    Moved,
    /// <summary>Already registered in another region and moving was not allowed.</summary>
    Conflict,
}
