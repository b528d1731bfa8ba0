using EdgeHub.Contracts;
using EdgeHub.Edge.Store;
using EdgeHub.Parquet;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeHub.Bench;

/// <summary>What <c>bench store</c> and the kill audit need from an edge store: the write, seal and ack operations, and a full read-back.</summary>
public interface IAuditStore : IDisposable
{
    /// <summary>Commits window rows in one transaction.</summary>
    void InsertWindows(ReadOnlySpan<WindowRecord> records, Span<long> rowIds);

    /// <summary>Seals up to <paramref name="maxRows"/> pending rows into the next delta; null when nothing is pending.</summary>
    SealedDelta? TrySeal(int maxRows);

    /// <summary>Deltas waiting for an ack, oldest first.</summary>
    IReadOnlyList<SealedDelta> Unacked();

    /// <summary>Settles a delta as committed by the hub.</summary>
    void RecordAck(SealedDelta delta);

    /// <summary>Every window row (window end µs, delta sequence or 0) in row-id order, and every delta with whether it was acked.</summary>
    (IReadOnlyList<(long WindowEnd, long Seq)> Windows, IReadOnlyList<(SealedDelta Delta, bool Acked)> Deltas) ReadBack();
}

/// <summary>The stores compared: <c>sqlite</c> (the shipping <see cref="EdgeStore"/>) and <c>litedb</c> (<see cref="LiteEdgeStore"/>).</summary>
public static class AuditStores
{
    /// <summary>Names accepted by <see cref="Open"/>.</summary>
    public static readonly string[] Names = ["sqlite", "litedb"];

    /// <summary>Opens store <paramref name="kind"/> in <paramref name="directory"/> (creating it).</summary>
    public static IAuditStore Open(string kind, string directory)
    {
        Directory.CreateDirectory(directory);
        return kind switch
        {
            "sqlite" => new SqliteAuditStore(Path.Combine(directory, "edge.db")),
            "litedb" => new LiteAuditStore(Path.Combine(directory, "edge.litedb")),
            _ => throw new ArgumentException($"unknown store '{kind}'; use one of: {string.Join(", ", Names)}"),
        };
    }

    /// <summary>A window record like the pipeline's (features, a prediction, pseudonyms) whose window end is <paramref name="key"/>.</summary>
    public static WindowRecord Record(long key)
    {
        var r = WindowRecordPool.Rent();
        r.SiteId = "site-a";
        r.DevicePseudonym = "dev-" + (key % 64).ToString("D4", System.Globalization.CultureInfo.InvariantCulture);
        r.PatientPseudonym = "pat-" + (key % 64).ToString("D4", System.Globalization.CultureInfo.InvariantCulture);
        r.WindowEndMicros = key;
        r.RecordedAtMicros = key;
        for (var i = 0; i < r.Features.Length; i++)
        {
            r.Features[i] = (key % 97) + (i * 0.25f);
        }

        r.ModelVersion = "eu-3";
        r.PredictedClass = (int)(key % RhythmClasses.Count);
        r.Probabilities.AsSpan().Fill(1f / RhythmClasses.Count);
        return r;
    }

    private sealed class SqliteAuditStore(string path) : IAuditStore
    {
        private readonly EdgeStore _store = new(path, "edge-audit", NullLogger.Instance);

        public void InsertWindows(ReadOnlySpan<WindowRecord> records, Span<long> rowIds) => _store.InsertWindows(records, rowIds);

        public SealedDelta? TrySeal(int maxRows) => _store.TrySeal(maxRows, ParquetCompression.Snappy, int.MaxValue);

        public IReadOnlyList<SealedDelta> Unacked() => _store.Unacked(1000);

        public void RecordAck(SealedDelta delta) => _store.RecordAck(delta.Sequence, delta.DeltaId, "committed", 1, null);

        public (IReadOnlyList<(long WindowEnd, long Seq)> Windows, IReadOnlyList<(SealedDelta Delta, bool Acked)> Deltas) ReadBack()
        {
            // A second, read-only connection: the audit reads the rows the store committed, not the store's own view of them.
            using var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
            db.Open();
            var windows = new List<(long, long)>();
            using (var cmd = db.CreateCommand())
            {
                cmd.CommandText = "SELECT window_end, coalesce(seq, 0) FROM windows ORDER BY id";
                using var r = cmd.ExecuteReader();
                while (r.Read())
                {
                    windows.Add((r.GetInt64(0), r.GetInt64(1)));
                }
            }

            var acked = new HashSet<long>();
            using (var cmd = db.CreateCommand())
            {
                cmd.CommandText = "SELECT seq FROM deltas WHERE acked_at IS NOT NULL";
                using var r = cmd.ExecuteReader();
                while (r.Read())
                {
                    acked.Add(r.GetInt64(0));
                }
            }

            return (windows, [.. _store.AllDeltas().Select(d => (d, acked.Contains(d.Sequence)))]);
        }

        public void Dispose() => _store.Dispose();
    }

    private sealed class LiteAuditStore(string path) : IAuditStore
    {
        private readonly LiteEdgeStore _store = new(path);

        public void InsertWindows(ReadOnlySpan<WindowRecord> records, Span<long> rowIds) => _store.InsertWindows(records, rowIds);

        public SealedDelta? TrySeal(int maxRows) => _store.TrySeal(maxRows);

        public IReadOnlyList<SealedDelta> Unacked() => _store.Unacked(1000);

        public void RecordAck(SealedDelta delta) => _store.RecordAck(delta.Sequence);

        public (IReadOnlyList<(long WindowEnd, long Seq)> Windows, IReadOnlyList<(SealedDelta Delta, bool Acked)> Deltas) ReadBack() =>
            (_store.AllWindows(), _store.AllDeltas());

        public void Dispose() => _store.Dispose();
    }
}
