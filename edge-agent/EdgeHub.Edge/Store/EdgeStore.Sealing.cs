using System.Buffers;
using System.Security.Cryptography;
using EdgeHub.Parquet;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace EdgeHub.Edge.Store;

/// <summary>A delta frozen in the store: its sequence, id and the digest of its Parquet bytes.</summary>
public sealed record SealedDelta(long Sequence, string DeltaId, int Rows, string Sha256, long Size, string? Status, int Attempts);

public sealed partial class EdgeStore
{
    private DeltaBuilder? _sealBuilder; // reused across seals (under _gate)

    /// <summary>The last sequence number allocated (0 before the first delta).</summary>
    public long LastSequence => Locked(() => Scalar("SELECT value FROM meta WHERE key = 'last_seq'"));

    /// <summary>Sealed deltas the hub has not acknowledged yet.</summary>
    public int UnackedCount => (int)Locked(() => Scalar("SELECT count(*) FROM deltas WHERE acked_at IS NULL AND (status IS NULL OR status <> 'rejected')"));

    /// <summary>
    /// Seals up to <paramref name="maxRows"/> pending rows (oldest first, windows before label rows) into one Parquet delta in
    /// ONE transaction: allocate the next sequence, store the bytes and their SHA-256, stamp the rows. Either all of that is
    /// durable or none of it, so a sequence is never reused for different content. Returns null when nothing is pending
    /// or <paramref name="maxUnacked"/> deltas already wait for acks (rows then stay under the quota policy).
    /// </summary>
    public SealedDelta? TrySeal(int maxRows, ParquetCompression compression, int maxUnacked)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRows, 1);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (Interlocked.Read(ref _pendingRows) == 0)
            {
                return null;
            }

            var unacked = Scalar("SELECT count(*) FROM deltas WHERE acked_at IS NULL AND (status IS NULL OR status <> 'rejected')");
            if (unacked >= maxUnacked)
            {
                return null;
            }

            using var tx = _db.BeginTransaction();
            var seq = Scalar("SELECT value FROM meta WHERE key = 'last_seq'", tx) + 1;
            var deltaId = $"{_edgeId}-{seq:D10}";
            var builder = _sealBuilder is { } reused && reused.Capacity == maxRows ? reused : _sealBuilder = new DeltaBuilder(_edgeId, maxRows);
            builder.Reset();
            long maxWindowId, maxLabelId;
            using (var cmd = Command($"""
                SELECT id, site_id, device_pseudonym, patient_pseudonym, window_end, recorded_at, features, model_version,
                       predicted_class, probs, alert_id, label, label_action, labelled_at
                FROM windows WHERE seq IS NULL ORDER BY id LIMIT {maxRows}
                """, tx))
            {
                maxWindowId = builder.AddWindows(cmd);
            }

            var room = maxRows - builder.Rows;
            using (var cmd = Command($"""
                SELECT id, window_id, site_id, device_pseudonym, patient_pseudonym, window_end, recorded_at, alert_id, label,
                       label_action, labelled_at
                FROM label_rows WHERE seq IS NULL ORDER BY id LIMIT {room}
                """, tx))
            {
                maxLabelId = room > 0 ? builder.AddLabels(cmd) : 0;
            }

            if (builder.Rows == 0)
            {
                Interlocked.Exchange(ref _pendingRows, 0);
                return null;
            }

            var bytes = builder.Build(deltaId, seq, compression);
            builder.ReleaseStrings();
            var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
            Stamp("windows", seq, maxWindowId, tx);
            Stamp("label_rows", seq, maxLabelId, tx);
            using (var insert = Command("""
                INSERT INTO deltas (seq, delta_id, rows, sha256, bytes, size, created_at)
                VALUES ($seq, $id, $rows, $sha, $bytes, $size, $now)
                """, tx))
            {
                insert.Parameters.AddWithValue("$seq", seq);
                insert.Parameters.AddWithValue("$id", deltaId);
                insert.Parameters.AddWithValue("$rows", builder.Rows);
                insert.Parameters.AddWithValue("$sha", sha);
                insert.Parameters.AddWithValue("$bytes", bytes);
                insert.Parameters.AddWithValue("$size", bytes.Length);
                insert.Parameters.AddWithValue("$now", ToMicros(DateTimeOffset.UtcNow));
                insert.ExecuteNonQuery();
            }

            Exec($"UPDATE meta SET value = {seq} WHERE key = 'last_seq'", tx);
            tx.Commit();
            Interlocked.Add(ref _pendingRows, -builder.Rows);
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                _logger.LogDebug("sealed delta {DeltaId}: {Rows} rows, {Size} bytes, sha256 {Sha}", deltaId, builder.Rows, bytes.Length, sha);
            }

            return new SealedDelta(seq, deltaId, builder.Rows, sha, bytes.Length, null, 0);
        }
    }

    /// <summary>Deltas waiting for an ack, oldest first (at most <paramref name="limit"/>).</summary>
    public IReadOnlyList<SealedDelta> Unacked(int limit)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var cmd = Command($"""
                SELECT seq, delta_id, rows, sha256, size, status, attempts FROM deltas
                WHERE acked_at IS NULL AND (status IS NULL OR status <> 'rejected') ORDER BY seq LIMIT {limit}
                """);
            return ReadDeltas(cmd);
        }
    }

    /// <summary>Every delta the store holds, oldest first (tests, diagnostics).</summary>
    public IReadOnlyList<SealedDelta> AllDeltas()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var cmd = Command("SELECT seq, delta_id, rows, sha256, size, status, attempts FROM deltas ORDER BY seq");
            return ReadDeltas(cmd);
        }
    }

    /// <summary>The frozen Parquet bytes of delta <paramref name="sequence"/>, or null once dropped after its ack.</summary>
    public byte[]? ReadDeltaBytes(long sequence)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var cmd = Command("SELECT bytes FROM deltas WHERE seq = $seq");
            cmd.Parameters.AddWithValue("$seq", sequence);
            return cmd.ExecuteScalar() as byte[];
        }
    }

    /// <summary>
    /// The frozen Parquet bytes of delta <paramref name="sequence"/> streamed (SQLite incremental blob I/O, no intermediate
    /// array) into a buffer rented from <see cref="ArrayPool{T}.Shared"/>, which the caller returns; null once the bytes were
    /// dropped after the ack. Resends of multi-MB deltas then reuse pooled buffers instead of allocating on the large object heap.
    /// </summary>
    public byte[]? RentDeltaBytes(long sequence, out int length)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            length = 0;
            using (var cmd = Command("SELECT length(bytes) FROM deltas WHERE seq = $seq"))
            {
                cmd.Parameters.AddWithValue("$seq", sequence);
                if (cmd.ExecuteScalar() is not long size)
                {
                    return null;
                }

                length = checked((int)size);
            }

            var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, length));
            try
            {
                // seq is the table's INTEGER PRIMARY KEY, so it is the rowid the blob handle needs.
                using var blob = new SqliteBlob(_db, "deltas", "bytes", sequence, readOnly: true);
                blob.ReadExactly(buffer, 0, length);
                return buffer;
            }
            catch
            {
                ArrayPool<byte>.Shared.Return(buffer);
                throw;
            }
        }
    }

    /// <summary>Counts one more send attempt of delta <paramref name="sequence"/>.</summary>
    public void CountAttempt(long sequence)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Exec($"UPDATE deltas SET attempts = attempts + 1 WHERE seq = {sequence}");
        }
    }

    /// <summary>
    /// Records the hub's answer for a delta. "committed"/"duplicate" settle it; "rejected" settles it as refused (logged);
    /// "held" only notes the status (it is resent later). Returns false when no unsettled delta has that sequence and id.
    /// </summary>
    public bool RecordAck(long sequence, string deltaId, string status, long? datasetVersion, string? reason)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var settles = status is "committed" or "duplicate" or "rejected";
            using var cmd = Command(settles
                ? "UPDATE deltas SET acked_at = CASE WHEN $status = 'rejected' THEN NULL ELSE $now END, status = $status, dataset_version = $version, reason = $reason WHERE seq = $seq AND delta_id = $id AND acked_at IS NULL"
                : "UPDATE deltas SET status = $status, reason = $reason WHERE seq = $seq AND delta_id = $id AND acked_at IS NULL");
            cmd.Parameters.AddWithValue("$status", status);
            cmd.Parameters.AddWithValue("$now", ToMicros(DateTimeOffset.UtcNow));
            cmd.Parameters.AddWithValue("$version", (object?)datasetVersion ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$reason", (object?)reason ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$seq", sequence);
            cmd.Parameters.AddWithValue("$id", deltaId);
            return cmd.ExecuteNonQuery() > 0;
        }
    }

    private void Stamp(string table, long seq, long maxId, SqliteTransaction tx)
    {
        if (maxId <= 0)
        {
            return;
        }

        // The rows selected were exactly the unsealed rows with id ≤ maxId (ORDER BY id LIMIT n), so this stamps them all.
        Exec($"UPDATE {table} SET seq = {seq} WHERE seq IS NULL AND id <= {maxId}", tx);
    }

    private static List<SealedDelta> ReadDeltas(SqliteCommand cmd)
    {
        var list = new List<SealedDelta>();
        using var reader = cmd.ExecuteReader();
        while (reader.Read())
        {
            list.Add(new SealedDelta(reader.GetInt64(0), reader.GetString(1), reader.GetInt32(2), reader.GetString(3),
                reader.GetInt64(4), reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetInt32(6)));
        }

        return list;
    }
}
