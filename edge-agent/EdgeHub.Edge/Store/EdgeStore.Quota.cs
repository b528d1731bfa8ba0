using Microsoft.Extensions.Logging;

namespace EdgeHub.Edge.Store;

/// <summary>What one quota pass did.</summary>
public readonly record struct QuotaResult(long BytesBefore, long BytesAfter, long AckedRowsRemoved, long UnsentRowsDropped);

public sealed partial class EdgeStore
{
    private long _droppedRows;

    /// <summary>Bytes of database pages in use (the file minus its free list): what the disk quota limits.</summary>
    public long UsedBytes => Locked(UsedBytesUnlocked);

    /// <summary>
    /// Keeps the store within <paramref name="quotaBytes"/>. The policy, in order:
    /// (1) rows and Parquet bytes the hub already acknowledged older than <paramref name="ackedRetention"/> go first — the hub has them;
    /// (2) then all acknowledged rows and bytes;
    /// (3) then unsent, unsealed window rows that are unlabelled and belong to no alert, oldest first (counted in <see cref="DroppedRows"/>, warned);
    /// (4) then unsent windows of alerts still unlabelled, oldest first; (5) labelled windows last — labels are the scarcest data.
    /// Sealed deltas awaiting an ack are never dropped: their sequence numbers must reach the hub without gaps (sealing pauses
    /// instead at Sealing:MaxUnackedDeltas, which bounds them).
    /// </summary>
    public QuotaResult EnforceQuota(long quotaBytes, TimeSpan ackedRetention)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var before = UsedBytesUnlocked();
            long ackedRemoved = 0, dropped = 0;
            var retentionCutoff = ToMicros(DateTimeOffset.UtcNow - ackedRetention);
            // Always prune acknowledged data past its retention (labels for it arrive within that time or not at all).
            ackedRemoved += PruneAcked(retentionCutoff);
            if (UsedBytesUnlocked() > quotaBytes)
            {
                ackedRemoved += PruneAcked(long.MaxValue);
            }

            string[] tiers =
            [
                "seq IS NULL AND label_action IS NULL AND alert_id IS NULL",
                "seq IS NULL AND label_action IS NULL",
                "seq IS NULL",
            ];
            foreach (var tier in tiers)
            {
                while (UsedBytesUnlocked() > quotaBytes)
                {
                    var n = DeleteOldest(tier, 2000);
                    if (n == 0)
                    {
                        break;
                    }

                    dropped += n;
                    Interlocked.Add(ref _pendingRows, -n);
                }
            }

            if (dropped > 0)
            {
                Interlocked.Add(ref _droppedRows, dropped);
                _logger.LogWarning(
                    "disk quota of {QuotaMb:F0} MB reached: dropped {Dropped} unsent window rows (oldest unlabelled first); the hub has been unreachable or too slow to acknowledge deltas",
                    quotaBytes / 1e6, dropped);
            }

            var after = UsedBytesUnlocked();
            if (ackedRemoved > 0 || dropped > 0)
            {
                // Hand freed pages back to the file system (auto_vacuum=INCREMENTAL) so the file shrinks too.
                Exec("PRAGMA incremental_vacuum(4096)");
            }

            return new QuotaResult(before, after, ackedRemoved, dropped);
        }
    }

    private long PruneAcked(long ackedBeforeMicros)
    {
        using var tx = _db.BeginTransaction();
        var cutoff = ackedBeforeMicros.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var w = Command($"DELETE FROM windows WHERE seq IN (SELECT seq FROM deltas WHERE acked_at IS NOT NULL AND acked_at < {cutoff})", tx);
        var removed = (long)w.ExecuteNonQuery();
        using var l = Command($"DELETE FROM label_rows WHERE seq IN (SELECT seq FROM deltas WHERE acked_at IS NOT NULL AND acked_at < {cutoff})", tx);
        removed += l.ExecuteNonQuery();
        using var links = Command("DELETE FROM alert_windows WHERE window < (SELECT coalesce(min(id), 0) FROM windows)", tx);
        links.ExecuteNonQuery();
        // Keep the delta's row (sequence, id, sha256: the history) but not its bytes.
        Exec($"UPDATE deltas SET bytes = NULL WHERE acked_at IS NOT NULL AND acked_at < {cutoff} AND bytes IS NOT NULL", tx);
        tx.Commit();
        return removed;
    }

    private long DeleteOldest(string where, int count)
    {
        using var cmd = Command($"DELETE FROM windows WHERE id IN (SELECT id FROM windows WHERE {where} ORDER BY id LIMIT {count})");
        return cmd.ExecuteNonQuery();
    }

    private long UsedBytesUnlocked() =>
        (Scalar("PRAGMA page_count") - Scalar("PRAGMA freelist_count")) * Scalar("PRAGMA page_size");
}
