using System.Data.Common;

namespace EdgeHub.Hub.Catalog;

public sealed partial class HubCatalog
{
    private const string VersionColumns =
        "region, version, committed_at, edge_id, delta_id, sequence, rows, labelled_rows, bytes, sha256, hub_node";

    /// <summary>
    /// Records a commit of a regional dataset. Idempotent: the dataset store is the source of truth, and a node that
    /// crashed between committing and recording fills the gap later (<see cref="HubCatalog"/> reconciliation), so the same
    /// version may be recorded twice.
    /// </summary>
    public Task RecordCommitAsync(DatasetVersionRecord v, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(v);
        return WithConnectionAsync(async c =>
        {
            await c.Command($"""
                INSERT INTO dataset_versions ({VersionColumns})
                VALUES (@r, @v, @t, @e, @d, @s, @rows, @lr, @b, @sha, @n)
                ON CONFLICT DO NOTHING
                """).With("@r", v.Region).With("@v", v.Version).With("@t", v.CommittedAt.Ms()).With("@e", v.EdgeId)
                .With("@d", v.DeltaId).With("@s", v.Sequence).With("@rows", v.Rows).With("@lr", v.LabelledRows).With("@b", v.Bytes)
                .With("@sha", v.Sha256).With("@n", v.HubNode).ExecAsync(ct).ConfigureAwait(false);
            await c.Command("UPDATE edges SET last_delta_at = @t WHERE edge_id = @e AND (last_delta_at IS NULL OR last_delta_at < @t)")
                .With("@t", v.CommittedAt.Ms()).With("@e", v.EdgeId).ExecAsync(ct).ConfigureAwait(false);
            return 0;
        }, ct);
    }

    /// <summary>Records a refused delta and its reason.</summary>
    public Task RecordRejectionAsync(RejectionRecord r, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(r);
        return WithConnectionAsync(c => c.Command("""
            INSERT INTO delta_rejections (id, at, region, edge_id, delta_id, sequence, reason, hub_node)
            VALUES (@id, @t, @r, @e, @d, @s, @reason, @n)
            """).With("@id", Guid.NewGuid().ToString("N")).With("@t", r.At.Ms()).With("@r", r.Region).With("@e", r.EdgeId)
            .With("@d", r.DeltaId).With("@s", r.Sequence).With("@reason", r.Reason).With("@n", r.HubNode).ExecAsync(ct), ct);
    }

    /// <summary>Recent rejections, newest first, optionally of one edge.</summary>
    public Task<List<RejectionRecord>> ListRejectionsAsync(string? edgeId, int limit, CancellationToken ct) => WithConnectionAsync(c =>
    {
        var cmd = edgeId is null
            ? c.Command("SELECT at, region, edge_id, delta_id, sequence, reason, hub_node FROM delta_rejections ORDER BY at DESC LIMIT @l")
            : c.Command("SELECT at, region, edge_id, delta_id, sequence, reason, hub_node FROM delta_rejections WHERE edge_id = @e ORDER BY at DESC LIMIT @l").With("@e", edgeId);
        return cmd.With("@l", (long)limit).ListAsync(
            r => new RejectionRecord(r.Time(0)!.Value, r.GetString(1), r.GetString(2), r.GetString(3), r.Long(4) ?? 0, r.GetString(5), r.GetString(6)), ct);
    }, ct);

    /// <summary>Commits of a region with version in (<paramref name="afterVersion"/>, <paramref name="upToVersion"/>], oldest first.</summary>
    public Task<List<DatasetVersionRecord>> ListVersionsAsync(string region, long afterVersion, long upToVersion, int limit, CancellationToken ct) =>
        WithConnectionAsync(c => c.Command($"""
            SELECT {VersionColumns} FROM dataset_versions
            WHERE region = @r AND version > @a AND version <= @b ORDER BY version LIMIT @l
            """).With("@r", region).With("@a", afterVersion).With("@b", upToVersion).With("@l", (long)limit).ListAsync(ReadVersion, ct), ct);

    /// <summary>The commit that made one version, or null.</summary>
    public Task<DatasetVersionRecord?> GetVersionAsync(string region, long version, CancellationToken ct) => WithConnectionAsync(async c =>
    {
        var list = await c.Command($"SELECT {VersionColumns} FROM dataset_versions WHERE region = @r AND version = @v")
            .With("@r", region).With("@v", version).ListAsync(ReadVersion, ct).ConfigureAwait(false);
        return list.Count == 0 ? null : list[0];
    }, ct);

    /// <summary>Highest recorded version of a region, or null when none.</summary>
    public Task<long?> LatestVersionAsync(string region, CancellationToken ct) => WithConnectionAsync(async c =>
    {
        var v = await c.Command("SELECT MAX(version) FROM dataset_versions WHERE region = @r").With("@r", region).ScalarAsync(ct).ConfigureAwait(false);
        return v is null ? (long?)null : Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture);
    }, ct);

    /// <summary>Totals of a region's commits in (<paramref name="afterVersion"/>, ∞): rows, labelled rows, commits.</summary>
    public Task<(long Rows, long LabelledRows, long Commits)> SumSinceAsync(string region, long afterVersion, CancellationToken ct) =>
        WithConnectionAsync(async c =>
        {
            var list = await c.Command("""
                SELECT COALESCE(SUM(rows), 0), COALESCE(SUM(labelled_rows), 0), COUNT(*) FROM dataset_versions WHERE region = @r AND version > @a
                """).With("@r", region).With("@a", afterVersion).ListAsync(r => (r.Long(0) ?? 0, r.Long(1) ?? 0, r.Long(2) ?? 0), ct).ConfigureAwait(false);
            return list[0];
        }, ct);

    /// <summary>How many commits each edge made to a region (for counts and tests).</summary>
    public Task<List<(string EdgeId, long Commits, long Rows)>> CommitsByEdgeAsync(string region, CancellationToken ct) => WithConnectionAsync(c =>
        c.Command("SELECT edge_id, COUNT(*), SUM(rows) FROM dataset_versions WHERE region = @r GROUP BY edge_id ORDER BY edge_id")
            .With("@r", region).ListAsync(r => (r.GetString(0), r.Long(1) ?? 0, r.Long(2) ?? 0), ct), ct);

    private static DatasetVersionRecord ReadVersion(DbDataReader r) => new(
        r.GetString(0), r.Long(1) ?? 0, r.Time(2)!.Value, r.GetString(3), r.GetString(4), r.Long(5) ?? 0, r.Long(6) ?? 0, r.Long(7) ?? 0,
        r.Long(8) ?? 0, r.GetString(9), r.GetString(10));
}
