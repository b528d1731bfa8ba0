using System.Text.Json;
using System.Text.Json.Serialization;

namespace EdgeHub.Contracts;

/// <summary>Edge → device, once per processed frame: what the edge currently thinks.</summary>
public sealed record Feedback
{
    /// <summary>Sequence number of the frame this answers (the simulator measures publish→feedback latency with it).</summary>
    public uint Seq { get; init; }
    public double? HeartRate { get; init; }
    /// <summary>Most likely class name (<see cref="RhythmClasses.Names"/>), or null before the first full window.</summary>
    public string? Rhythm { get; init; }
    public float? Probability { get; init; }
    /// <summary>"ok", "alert" (an alert is active) or "error" (the frame was refused; see <see cref="Error"/>).</summary>
    public required string State { get; init; }
    public string? AlertId { get; init; }
    public string? ModelVersion { get; init; }
    public string? Error { get; init; }
}

/// <summary>Alert severity, from NEWS2-style bands and the class.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AlertSeverity>))]
public enum AlertSeverity { Low, Medium, High, Critical }

/// <summary>Edge → clinician apps on <see cref="Topics.Alerts"/>.</summary>
public sealed record AlertMessage
{
    public required string AlertId { get; init; }
    /// <summary>"raised", "updated" or "cleared".</summary>
    public required string State { get; init; }
    /// <summary>A model class name (af, vt, …) or a safety rule (asystole, vt_run, hr_high, hr_low, spo2_low, lead_off).</summary>
    public required string Kind { get; init; }
    /// <summary>"model" or "safety".</summary>
    public required string Source { get; init; }
    public AlertSeverity Severity { get; init; }
    public required string SiteId { get; init; }
    public required string DeviceId { get; init; }
    public required string PatientPseudonym { get; init; }
    public string Bed { get; init; } = "";
    public DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public float? Probability { get; init; }
    public double? HeartRate { get; init; }
    public int? SpO2 { get; init; }
    public string? ModelVersion { get; init; }
    /// <summary>ECG strip around the alert, in mV, for the clinician page.</summary>
    public EcgStrip? Strip { get; init; }
}

/// <summary>A few seconds of ECG in millivolts.</summary>
public sealed record EcgStrip(int SampleRate, float[] MilliVolts);

/// <summary>Clinician → edge on <see cref="Topics.Labels"/>.</summary>
public sealed record LabelMessage
{
    public required string AlertId { get; init; }
    /// <summary>"confirm" (the alert's kind is right), "reject" (false alarm: normal), "relabel" (use <see cref="Label"/>), "acknowledge" (seen; no label).</summary>
    public required string Action { get; init; }
    /// <summary>Class name for "relabel".</summary>
    public string? Label { get; init; }
    public string? Clinician { get; init; }
    public DateTimeOffset At { get; init; }
}

/// <summary>Hub → edge on <see cref="Topics.Acks"/>.</summary>
public sealed record DeltaAck
{
    public required string DeltaId { get; init; }
    public long Sequence { get; init; }
    /// <summary>"committed", "duplicate" (already committed: treat as committed), "held" (gap before it), "rejected".</summary>
    public required string Status { get; init; }
    public long? DatasetVersion { get; init; }
    public string? Reason { get; init; }
    public string? HubNode { get; init; }
}

/// <summary>Hub → edges, retained on <see cref="Topics.RegionModel"/> / <see cref="Topics.EdgeModel"/>.</summary>
public sealed record ModelAssignment
{
    public required string ModelVersion { get; init; }
    public required string Region { get; init; }
    /// <summary>Set when the assignment targets one edge (canary, pin, rollback).</summary>
    public string? EdgeId { get; init; }
    /// <summary>Lower-case hex SHA-256 of the ONNX bytes.</summary>
    public required string Sha256 { get; init; }
    /// <summary>Base64 ECDSA P-256 (IEEE P1363) signature of the ONNX bytes by the hub key.</summary>
    public required string Signature { get; init; }
    public required string FeatureSchemaId { get; init; }
    /// <summary>Where to get the bytes (hub HTTP endpoint), unless <see cref="ModelBase64"/> carries them.</summary>
    public string? Url { get; init; }
    public string? ModelBase64 { get; init; }
    public string? RolloutId { get; init; }
    /// <summary>Windows the candidate runs in shadow before the swap (0: swap at once, e.g. a rollback).</summary>
    public int ShadowWindows { get; init; }
    public DateTimeOffset IssuedAt { get; init; }
}

/// <summary>Edge → hub on <see cref="Topics.Status"/>; the will message carries Online = false.</summary>
public sealed record EdgeStatus
{
    public required string EdgeId { get; init; }
    public required string Region { get; init; }
    public bool Online { get; init; }
    public string? ModelVersion { get; init; }
    public string? CandidateVersion { get; init; }
    public double? ShadowAgreement { get; init; }
    public string? LastModelError { get; init; }
    /// <summary>The model version <see cref="LastModelError"/> concerns (null: unknown, e.g. an older edge).</summary>
    public string? LastModelErrorVersion { get; init; }
    /// <summary>When <see cref="LastModelError"/> happened.</summary>
    public DateTimeOffset? LastModelErrorAt { get; init; }
    /// <summary>
    /// The model whose shadow run <see cref="ShadowAgreement"/> measures: the candidate while it shadows, and still after it was
    /// promoted or dropped (so the hub judges a shadow run that finished between two status messages).
    /// </summary>
    public string? ShadowVersion { get; init; }
    /// <summary>Windows compared in that shadow run (the sample size behind <see cref="ShadowAgreement"/>).</summary>
    public long? ShadowWindows { get; init; }
    /// <summary>Sealed deltas not yet acknowledged by the hub.</summary>
    public int QueueDepth { get; init; }
    public long PendingRows { get; init; }
    public int Devices { get; init; }
    public double FramesPerSecond { get; init; }
    /// <summary>Largest population stability index of a feature against the model's reference histograms.</summary>
    public double? DriftPsi { get; init; }
    /// <summary>Share of the model's alerts that clinicians rejected or relabelled.</summary>
    public double? OverrideRate { get; init; }
    /// <summary>The serving model the override counts below concern (counting restarts when the serving model changes).</summary>
    public string? OverrideModelVersion { get; init; }
    /// <summary>Model alerts clinicians rejected or relabelled while <see cref="OverrideModelVersion"/> served.</summary>
    public int? Overrides { get; init; }
    /// <summary>Model alerts clinicians answered (confirm, reject, relabel) while <see cref="OverrideModelVersion"/> served: the sample size.</summary>
    public int? OverrideSamples { get; init; }
    public DateTimeOffset At { get; init; }
}

/// <summary>User properties that travel with a delta on <see cref="Topics.Delta"/> (and as HTTP headers on upload).</summary>
public static class DeltaProperties
{
    public const string DeltaId = "delta-id";
    public const string Sequence = "sequence";
    public const string Rows = "rows";
    public const string Sha256 = "sha256";
    public const string SchemaId = "schema-id";
}

/// <summary>Source-generated JSON for every control message (no reflection on hot paths).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Feedback))]
[JsonSerializable(typeof(AlertMessage))]
[JsonSerializable(typeof(LabelMessage))]
[JsonSerializable(typeof(DeltaAck))]
[JsonSerializable(typeof(ModelAssignment))]
[JsonSerializable(typeof(EdgeStatus))]
public sealed partial class ContractsJson : JsonSerializerContext;
