using EdgeHub.Learning.Evaluation;
using EdgeHub.Learning.Promotion;

namespace EdgeHub.Learning.Registry;

/// <summary>Model statuses in the registry (the catalog's spelling).</summary>
public static class ModelStatus
{
    /// <summary>Trained, not judged yet.</summary>
    public const string Candidate = "candidate";

    /// <summary>Passed the gate: may be rolled out.</summary>
    public const string Approved = "approved";

    /// <summary>Blocked by the gate, or rolled back after a failed rollout.</summary>
    public const string Rejected = "rejected";

    /// <summary>Superseded; kept for lineage.</summary>
    public const string Retired = "retired";
}

/// <summary>
/// One model version in a region's registry: where it came from (parent, dataset versions, mode), what it cost, how it did on
/// the holdout and at the gate, and the SHA-256 and ECDSA P-256 signature of its ONNX bytes. Field names follow the hub catalog's
/// models table, so the hub's store maps one to one.
/// </summary>
public sealed record RegisteredModel
{
    /// <summary>"{region}-{n}", n counting up per region ("eu-7").</summary>
    public required string Version { get; init; }
    public required string Region { get; init; }
    public string? ParentVersion { get; init; }
    /// <summary>"full" or "differential".</summary>
    public required string TrainingMode { get; init; }
    /// <summary>Dataset version the model was trained up to.</summary>
    public long DatasetVersion { get; init; }
    /// <summary>For a differential model: the parent's dataset version (rows after it were new).</summary>
    public long? BaseDatasetVersion { get; init; }
    /// <summary>Differential generations since the last full model (0 for a full model).</summary>
    public long ChainLength { get; init; }
    public long TrainedRows { get; init; }
    public long DurationMs { get; init; }
    public required string FeatureSchemaId { get; init; }
    /// <summary>Network shape, e.g. "mlp-32-64-32-6".</summary>
    public string? Architecture { get; init; }
    public string? HoldoutId { get; init; }
    /// <summary>Lower-case hex SHA-256 of the ONNX bytes.</summary>
    public required string Sha256 { get; init; }
    /// <summary>Base64 IEEE P1363 ECDSA P-256 signature of the ONNX bytes by the hub key.</summary>
    public required string Signature { get; init; }
    public long SizeBytes { get; init; }
    /// <summary>See <see cref="ModelStatus"/>.</summary>
    public required string Status { get; init; }
    /// <summary>Holdout metrics of this model.</summary>
    public ClassificationMetrics? Metrics { get; init; }
    /// <summary>Holdout metrics of the parent on the same holdout (what the gate compared against).</summary>
    public ClassificationMetrics? ParentMetrics { get; init; }
    public GateDecision? Gate { get; init; }
    /// <summary>Compact lineage string (also in the ONNX metadata).</summary>
    public string? Lineage { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public string CreatedBy { get; init; } = "hub";
}
