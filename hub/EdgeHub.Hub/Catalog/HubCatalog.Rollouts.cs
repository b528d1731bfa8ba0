using System.Text.Json;
using EdgeHub.Learning.Registry;
using EdgeHub.Learning.Rollouts;

namespace EdgeHub.Hub.Catalog;

public sealed partial class HubCatalog
{
    /// <summary>A region's rollout state and its revision (0 when none stored yet).</summary>
    public Task<(RolloutSnapshot? Snapshot, long Revision)> GetRolloutStateAsync(string region, CancellationToken ct) => WithConnectionAsync(async c =>
    {
        var list = await c.Command("SELECT snapshot_json, revision FROM rollout_state WHERE region = @r").With("@r", region)
            .ListAsync(r => (JsonSerializer.Deserialize(r.GetString(0), LearningJson.Default.RolloutSnapshot), r.Long(1) ?? 0), ct).ConfigureAwait(false);
        return list.Count == 0 ? (null, 0L) : list[0];
    }, ct);

    /// <summary>
    /// Stores a region's rollout state if nobody changed it since <paramref name="expectedRevision"/> (optimistic concurrency
    /// between hub nodes and API calls); false means reload and retry.
    /// </summary>
    public Task<bool> SaveRolloutStateAsync(string region, RolloutSnapshot snapshot, long expectedRevision, CancellationToken ct)
    {
        var json = JsonSerializer.Serialize(snapshot, LearningJson.Default.RolloutSnapshot);
        var now = DateTimeOffset.UtcNow.Ms();
        return WithConnectionAsync(async c =>
        {
            if (expectedRevision == 0)
            {
                return await c.Command("""
                    INSERT INTO rollout_state (region, snapshot_json, revision, updated_at) VALUES (@r, @j, 1, @t) ON CONFLICT (region) DO NOTHING
                    """).With("@r", region).With("@j", json).With("@t", now).ExecAsync(ct).ConfigureAwait(false) == 1;
            }

            return await c.Command("""
                UPDATE rollout_state SET snapshot_json = @j, revision = revision + 1, updated_at = @t WHERE region = @r AND revision = @rev
                """).With("@j", json).With("@t", now).With("@r", region).With("@rev", expectedRevision).ExecAsync(ct).ConfigureAwait(false) == 1;
        }, ct);
    }

    /// <summary>Records an operator's retrain request for a region (mode null: let the policy choose).</summary>
    public Task RequestRetrainAsync(string region, string? mode, string requestedBy, CancellationToken ct) => WithConnectionAsync(c => c.Command("""
        INSERT INTO retrain_requests (region, mode, requested_at, requested_by) VALUES (@r, @m, @t, @b)
        ON CONFLICT (region) DO UPDATE SET mode = excluded.mode, requested_at = excluded.requested_at, requested_by = excluded.requested_by
        """).With("@r", region).With("@m", mode).With("@t", DateTimeOffset.UtcNow.Ms()).With("@b", requestedBy).ExecAsync(ct), ct);

    /// <summary>Takes (reads and deletes) a region's pending retrain request, if any: (true, mode) or (false, null).</summary>
    public Task<(bool Requested, string? Mode)> TakeRetrainRequestAsync(string region, CancellationToken ct) => WithConnectionAsync(async c =>
    {
        var list = await c.Command("SELECT mode FROM retrain_requests WHERE region = @r").With("@r", region).ListAsync(r => r.IsDBNull(0) ? null : r.GetString(0), ct)
            .ConfigureAwait(false);
        if (list.Count == 0)
        {
            return (false, (string?)null);
        }

        await c.Command("DELETE FROM retrain_requests WHERE region = @r").With("@r", region).ExecAsync(ct).ConfigureAwait(false);
        return (true, list[0]);
    }, ct);
}
