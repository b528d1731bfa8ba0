using System.Data.Common;
using System.Text.Json;
using EdgeHub.Contracts;

namespace EdgeHub.Hub.Catalog;

public sealed partial class HubCatalog
{
    private const string EdgeColumns = """
        edge_id, region, registered_at, registered_by, last_seen, online, model_version, candidate_version, shadow_agreement,
        last_model_error, queue_depth, pending_rows, devices, frames_per_second, drift_psi, override_rate, pinned_model, last_delta_at, status_json
        """;

    /// <summary>Adds the region if it is new; true when it was created.</summary>
    public Task<bool> EnsureRegionAsync(string region, CancellationToken ct)
    {
        Ids.Validate(region, "region");
        return WithConnectionAsync(async c =>
            await c.Command("INSERT INTO regions (name, created_at) VALUES (@n, @t) ON CONFLICT (name) DO NOTHING")
                .With("@n", region).With("@t", DateTimeOffset.UtcNow.Ms()).ExecAsync(ct).ConfigureAwait(false) == 1, ct);
    }

    /// <summary>Regions with edge counts and latest dataset version.</summary>
    public Task<List<RegionRecord>> ListRegionsAsync(CancellationToken ct) => WithConnectionAsync(c => c.Command("""
            SELECT r.name, r.created_at,
                   (SELECT COUNT(*) FROM edges e WHERE e.region = r.name),
                   (SELECT MAX(v.version) FROM dataset_versions v WHERE v.region = r.name)
            FROM regions r ORDER BY r.name
            """).ListAsync(r => new RegionRecord(r.GetString(0), r.Time(1)!.Value, r.Long(2) ?? 0, r.Long(3)), ct), ct);

    /// <summary>True when the region exists.</summary>
    public Task<bool> RegionExistsAsync(string region, CancellationToken ct) => WithConnectionAsync(async c =>
        await c.Command("SELECT 1 FROM regions WHERE name = @n").With("@n", region).ScalarAsync(ct).ConfigureAwait(false) is not null, ct);

    /// <summary>
    /// Registers <paramref name="edgeId"/> in <paramref name="region"/> (which must exist). An edge registered elsewhere moves
    /// only when <paramref name="allowMove"/> (an operator's explicit decision); auto-registration never moves an edge.
    /// </summary>
    public Task<RegistrationOutcome> RegisterEdgeAsync(string edgeId, string region, string registeredBy, bool allowMove, CancellationToken ct)
    {
        Ids.Validate(edgeId, "edge id");
        Ids.Validate(region, "region");
        return WithConnectionAsync(async c =>
        {
            var inserted = await c.Command("""
                INSERT INTO edges (edge_id, region, registered_at, registered_by) VALUES (@e, @r, @t, @b)
                ON CONFLICT (edge_id) DO NOTHING
                """).With("@e", edgeId).With("@r", region).With("@t", DateTimeOffset.UtcNow.Ms()).With("@b", registeredBy)
                .ExecAsync(ct).ConfigureAwait(false);
            if (inserted == 1)
            {
                return RegistrationOutcome.Created;
            }

            var current = (string?)await c.Command("SELECT region FROM edges WHERE edge_id = @e").With("@e", edgeId).ScalarAsync(ct).ConfigureAwait(false);
            if (current == region)
            {
                return RegistrationOutcome.Unchanged;
            }

            if (!allowMove)
            {
                return RegistrationOutcome.Conflict;
            }

            await c.Command("UPDATE edges SET region = @r, registered_by = @b, registered_at = @t WHERE edge_id = @e")
                .With("@r", region).With("@b", registeredBy).With("@t", DateTimeOffset.UtcNow.Ms()).With("@e", edgeId).ExecAsync(ct).ConfigureAwait(false);
            return RegistrationOutcome.Moved;
        }, ct);
    }

    /// <summary>Removes an edge's registration; true when it existed.</summary>
    public Task<bool> DeleteEdgeAsync(string edgeId, CancellationToken ct) => WithConnectionAsync(async c =>
        await c.Command("DELETE FROM edges WHERE edge_id = @e").With("@e", edgeId).ExecAsync(ct).ConfigureAwait(false) == 1, ct);

    /// <summary>The edge's registered region, or null when unknown (the residency check on every delta).</summary>
    public Task<string?> GetEdgeRegionAsync(string edgeId, CancellationToken ct) => WithConnectionAsync(async c =>
        (string?)await c.Command("SELECT region FROM edges WHERE edge_id = @e").With("@e", edgeId).ScalarAsync(ct).ConfigureAwait(false), ct);

    /// <summary>One edge, or null.</summary>
    public Task<EdgeRecord?> GetEdgeAsync(string edgeId, CancellationToken ct) => WithConnectionAsync(async c =>
    {
        var list = await c.Command($"SELECT {EdgeColumns} FROM edges WHERE edge_id = @e").With("@e", edgeId).ListAsync(ReadEdge, ct).ConfigureAwait(false);
        return list.Count == 0 ? null : list[0];
    }, ct);

    /// <summary>All edges, or those of one region.</summary>
    public Task<List<EdgeRecord>> ListEdgesAsync(string? region, CancellationToken ct) => WithConnectionAsync(c =>
        region is null
            ? c.Command($"SELECT {EdgeColumns} FROM edges ORDER BY region, edge_id").ListAsync(ReadEdge, ct)
            : c.Command($"SELECT {EdgeColumns} FROM edges WHERE region = @r ORDER BY edge_id").With("@r", region).ListAsync(ReadEdge, ct), ct);

    /// <summary>Stores what an edge reported on its status topic; false when the edge is not registered.</summary>
    public Task<bool> UpdateEdgeStatusAsync(EdgeStatus status, DateTimeOffset now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(status);
        return WithConnectionAsync(async c => await c.Command("""
            UPDATE edges SET last_seen = @seen, online = @online, model_version = @mv, candidate_version = @cv, shadow_agreement = @sa,
                last_model_error = @err, queue_depth = @qd, pending_rows = @pr, devices = @dev, frames_per_second = @fps,
                drift_psi = @psi, override_rate = @ovr, status_json = @json
            WHERE edge_id = @e
            """).With("@seen", now.Ms()).With("@online", status.Online ? 1L : 0L).With("@mv", status.ModelVersion)
            .With("@cv", status.CandidateVersion).With("@sa", status.ShadowAgreement).With("@err", status.LastModelError)
            .With("@qd", (long)status.QueueDepth).With("@pr", status.PendingRows).With("@dev", (long)status.Devices)
            .With("@fps", status.FramesPerSecond).With("@psi", status.DriftPsi).With("@ovr", status.OverrideRate)
            .With("@json", JsonSerializer.Serialize(status, ContractsJson.Default.EdgeStatus)).With("@e", status.EdgeId).ExecAsync(ct).ConfigureAwait(false) == 1, ct);
    }

    /// <summary>Pins an edge to a model version (null unpins); false when the edge is unknown.</summary>
    public Task<bool> SetPinAsync(string edgeId, string? modelVersion, CancellationToken ct) => WithConnectionAsync(async c =>
        await c.Command("UPDATE edges SET pinned_model = @m WHERE edge_id = @e").With("@m", modelVersion).With("@e", edgeId)
            .ExecAsync(ct).ConfigureAwait(false) == 1, ct);

    private static EdgeRecord ReadEdge(DbDataReader r) => new()
    {
        EdgeId = r.GetString(0),
        Region = r.GetString(1),
        RegisteredAt = r.Time(2)!.Value,
        RegisteredBy = r.GetString(3),
        LastSeen = r.Time(4),
        Online = r.Long(5) == 1,
        ModelVersion = r.Str(6),
        CandidateVersion = r.Str(7),
        ShadowAgreement = r.Dbl(8),
        LastModelError = r.Str(9),
        QueueDepth = r.Long(10) ?? 0,
        PendingRows = r.Long(11) ?? 0,
        Devices = r.Long(12) ?? 0,
        FramesPerSecond = r.Dbl(13) ?? 0,
        DriftPsi = r.Dbl(14),
        OverrideRate = r.Dbl(15),
        PinnedModel = r.Str(16),
        LastDeltaAt = r.Time(17),
        LastStatus = ParseStatus(r.Str(18)),
    };

    private static EdgeStatus? ParseStatus(string? json)
    {
        if (json is null)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(json, ContractsJson.Default.EdgeStatus);
        }
        catch (JsonException)
        {
            // Written by this catalog from a parsed status, so only a hand-edited row lands here: treat it as not reported.
            return null;
        }
    }
}
