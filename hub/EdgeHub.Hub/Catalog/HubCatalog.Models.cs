using System.Data.Common;

namespace EdgeHub.Hub.Catalog;

/// <summary>A registered model version (the ONNX bytes live in the data root's models folder).</summary>
public sealed record ModelRecord
{
    public required string Version { get; init; }
    public required string Region { get; init; }
    public string? ParentVersion { get; init; }
    /// <summary>"full" or "differential".</summary>
    public required string TrainingMode { get; init; }
    /// <summary>Dataset version the model was trained up to.</summary>
    public long DatasetVersion { get; init; }
    /// <summary>For a differential model: the parent's dataset version (rows after it were new).</summary>
    public long? BaseDatasetVersion { get; init; }
    /// <summary>Differential models since the last full retrain (0 for a full model).</summary>
    public long ChainLength { get; init; }
    public long TrainedRows { get; init; }
    public long DurationMs { get; init; }
    public required string FeatureSchemaId { get; init; }
    public required string Sha256 { get; init; }
    public required string Signature { get; init; }
    public long SizeBytes { get; init; }
    /// <summary>"candidate", "approved" (passed the gate), "rejected" (blocked by the gate), "retired".</summary>
    public required string Status { get; init; }
    public string? MetricsJson { get; init; }
    public string? GateJson { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public required string CreatedBy { get; init; }
}

public sealed partial class HubCatalog
{
    private const string ModelColumns = """
        version, region, parent_version, training_mode, dataset_version, base_dataset_version, chain_length, trained_rows, duration_ms,
        feature_schema_id, sha256, signature, size_bytes, status, metrics_json, gate_json, created_at, created_by
        """;

    /// <summary>Adds a model version; false when the version exists.</summary>
    public Task<bool> AddModelAsync(ModelRecord m, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(m);
        return WithConnectionAsync(async c => await c.Command($"""
            INSERT INTO models ({ModelColumns})
            VALUES (@v, @r, @p, @mode, @dv, @bdv, @chain, @rows, @dur, @fs, @sha, @sig, @size, @st, @metrics, @gate, @t, @by)
            ON CONFLICT (version) DO NOTHING
            """).With("@v", m.Version).With("@r", m.Region).With("@p", m.ParentVersion).With("@mode", m.TrainingMode)
            .With("@dv", m.DatasetVersion).With("@bdv", m.BaseDatasetVersion).With("@chain", m.ChainLength).With("@rows", m.TrainedRows)
            .With("@dur", m.DurationMs).With("@fs", m.FeatureSchemaId).With("@sha", m.Sha256).With("@sig", m.Signature)
            .With("@size", m.SizeBytes).With("@st", m.Status).With("@metrics", m.MetricsJson).With("@gate", m.GateJson)
            .With("@t", m.CreatedAt.Ms()).With("@by", m.CreatedBy).ExecAsync(ct).ConfigureAwait(false) == 1, ct);
    }

    /// <summary>Changes a model's status; false when unknown.</summary>
    public Task<bool> SetModelStatusAsync(string version, string status, CancellationToken ct) => WithConnectionAsync(async c =>
        await c.Command("UPDATE models SET status = @s WHERE version = @v").With("@s", status).With("@v", version).ExecAsync(ct).ConfigureAwait(false) == 1, ct);

    /// <summary>One model, or null.</summary>
    public Task<ModelRecord?> GetModelAsync(string version, CancellationToken ct) => WithConnectionAsync(async c =>
    {
        var list = await c.Command($"SELECT {ModelColumns} FROM models WHERE version = @v").With("@v", version).ListAsync(ReadModel, ct).ConfigureAwait(false);
        return list.Count == 0 ? null : list[0];
    }, ct);

    /// <summary>Models, newest first, optionally of one region.</summary>
    public Task<List<ModelRecord>> ListModelsAsync(string? region, CancellationToken ct) => WithConnectionAsync(c => region is null
        ? c.Command($"SELECT {ModelColumns} FROM models ORDER BY created_at DESC, version DESC").ListAsync(ReadModel, ct)
        : c.Command($"SELECT {ModelColumns} FROM models WHERE region = @r ORDER BY created_at DESC, version DESC").With("@r", region).ListAsync(ReadModel, ct), ct);

    /// <summary>Versions of the models trained up to exactly this dataset version.</summary>
    public Task<List<string>> ModelsOnDatasetVersionAsync(string region, long version, CancellationToken ct) => WithConnectionAsync(c =>
        c.Command("SELECT version FROM models WHERE region = @r AND dataset_version = @v ORDER BY version").With("@r", region).With("@v", version)
            .ListAsync(r => r.GetString(0), ct), ct);

    /// <summary>The region's current good model (what edges run when no rollout says otherwise), or null.</summary>
    public Task<string?> GetRegionModelAsync(string region, CancellationToken ct) => WithConnectionAsync(async c =>
        (string?)await c.Command("SELECT model_version FROM region_models WHERE region = @r").With("@r", region).ScalarAsync(ct).ConfigureAwait(false), ct);

    /// <summary>Sets the region's current good model.</summary>
    public Task SetRegionModelAsync(string region, string modelVersion, CancellationToken ct) => WithConnectionAsync(c => c.Command("""
        INSERT INTO region_models (region, model_version, updated_at) VALUES (@r, @m, @t)
        ON CONFLICT (region) DO UPDATE SET model_version = excluded.model_version, updated_at = excluded.updated_at
        """).With("@r", region).With("@m", modelVersion).With("@t", DateTimeOffset.UtcNow.Ms()).ExecAsync(ct), ct);

    private static ModelRecord ReadModel(DbDataReader r) => new()
    {
        Version = r.GetString(0),
        Region = r.GetString(1),
        ParentVersion = r.Str(2),
        TrainingMode = r.GetString(3),
        DatasetVersion = r.Long(4) ?? 0,
        BaseDatasetVersion = r.Long(5),
        ChainLength = r.Long(6) ?? 0,
        TrainedRows = r.Long(7) ?? 0,
        DurationMs = r.Long(8) ?? 0,
        FeatureSchemaId = r.GetString(9),
        Sha256 = r.GetString(10),
        Signature = r.GetString(11),
        SizeBytes = r.Long(12) ?? 0,
        Status = r.GetString(13),
        MetricsJson = r.Str(14),
        GateJson = r.Str(15),
        CreatedAt = r.Time(16)!.Value,
        CreatedBy = r.GetString(17),
    };
}
