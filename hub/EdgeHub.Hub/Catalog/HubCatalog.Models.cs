using System.Data.Common;
using System.Text.Json;
using EdgeHub.Learning.Registry;

namespace EdgeHub.Hub.Catalog;

public sealed partial class HubCatalog
{
    /// <summary>
    /// Adds a model version: the queryable columns plus the whole <see cref="RegisteredModel"/> as JSON (metrics, gate, lineage).
    /// False when the version exists (another node registered it first).
    /// </summary>
    public Task<bool> AddModelAsync(RegisteredModel m, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(m);
        return WithConnectionAsync(async c => await c.Command("""
            INSERT INTO models (version, region, parent_version, training_mode, dataset_version, base_dataset_version, chain_length, trained_rows,
                duration_ms, feature_schema_id, sha256, signature, size_bytes, status, metrics_json, gate_json, created_at, created_by, record_json)
            VALUES (@v, @r, @p, @mode, @dv, @bdv, @chain, @rows, @dur, @fs, @sha, @sig, @size, @st, @metrics, @gate, @t, @by, @json)
            ON CONFLICT (version) DO NOTHING
            """).With("@v", m.Version).With("@r", m.Region).With("@p", m.ParentVersion).With("@mode", m.TrainingMode)
            .With("@dv", m.DatasetVersion).With("@bdv", m.BaseDatasetVersion).With("@chain", m.ChainLength).With("@rows", m.TrainedRows)
            .With("@dur", m.DurationMs).With("@fs", m.FeatureSchemaId).With("@sha", m.Sha256).With("@sig", m.Signature)
            .With("@size", m.SizeBytes).With("@st", m.Status)
            .With("@metrics", m.Metrics is null ? null : JsonSerializer.Serialize(m.Metrics, LearningJson.Default.ClassificationMetrics))
            .With("@gate", m.Gate is null ? null : JsonSerializer.Serialize(m.Gate, LearningJson.Default.GateDecision))
            .With("@t", m.CreatedAt.Ms()).With("@by", m.CreatedBy)
            .With("@json", JsonSerializer.Serialize(m, LearningJson.Default.RegisteredModel)).ExecAsync(ct).ConfigureAwait(false) == 1, ct);
    }

    /// <summary>Changes a model's status (column and JSON); false when unknown.</summary>
    public async Task<bool> SetModelStatusAsync(string version, string status, CancellationToken ct)
    {
        if (await GetModelAsync(version, ct).ConfigureAwait(false) is not { } m)
        {
            return false;
        }

        var json = JsonSerializer.Serialize(m with { Status = status }, LearningJson.Default.RegisteredModel);
        return await WithConnectionAsync(async c =>
            await c.Command("UPDATE models SET status = @s, record_json = @j WHERE version = @v").With("@s", status).With("@j", json).With("@v", version)
                .ExecAsync(ct).ConfigureAwait(false) == 1, ct).ConfigureAwait(false);
    }

    /// <summary>One model, or null.</summary>
    public Task<RegisteredModel?> GetModelAsync(string version, CancellationToken ct) => WithConnectionAsync(async c =>
    {
        var list = await c.Command("SELECT record_json FROM models WHERE version = @v").With("@v", version).ListAsync(ReadModel, ct).ConfigureAwait(false);
        return list.Count == 0 ? null : list[0];
    }, ct);

    /// <summary>Models, newest first, optionally of one region.</summary>
    public Task<List<RegisteredModel>> ListModelsAsync(string? region, CancellationToken ct) => WithConnectionAsync(c => region is null
        ? c.Command("SELECT record_json FROM models ORDER BY created_at DESC, version DESC").ListAsync(ReadModel, ct)
        : c.Command("SELECT record_json FROM models WHERE region = @r ORDER BY created_at DESC, version DESC").With("@r", region).ListAsync(ReadModel, ct), ct);

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

    private static RegisteredModel ReadModel(DbDataReader r) =>
        JsonSerializer.Deserialize(r.GetString(0), LearningJson.Default.RegisteredModel)
        ?? throw new InvalidDataException("a models row holds an empty record_json");
}
