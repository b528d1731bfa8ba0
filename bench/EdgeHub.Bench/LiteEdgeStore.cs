using System.Runtime.InteropServices;
using System.Security.Cryptography;
using EdgeHub.Edge.Store;
using LiteDB;

namespace EdgeHub.Bench;

/// <summary>
/// The edge store's records and operations on LiteDB 5, the comparison implementation for issue 22 (not shipping code): window
/// rows committed in batched transactions, seals that allocate the next sequence and stamp exactly the rows they froze in one
/// transaction, and acks that settle a delta. Same document fields as the SQLite store's columns. The frozen bytes are the rows'
/// feature blobs (no Parquet: the seal is not part of the measured write rate, only of the kill audit's exactly-once check).
/// </summary>
public sealed class LiteEdgeStore : IDisposable
{
    private readonly LiteDatabase _db;
    private readonly ILiteCollection<BsonDocument> _windows;
    private readonly ILiteCollection<BsonDocument> _deltas;
    private readonly ILiteCollection<BsonDocument> _meta;
    private long _pendingRows;

    /// <summary>Opens (creating if needed) the LiteDB file at <paramref name="path"/> (direct mode: one process, no file locks between calls).</summary>
    public LiteEdgeStore(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _db = new LiteDatabase(new ConnectionString { Filename = path, Connection = ConnectionType.Direct });
        _windows = _db.GetCollection("windows", BsonAutoId.Int64);
        _deltas = _db.GetCollection("deltas");
        _meta = _db.GetCollection("meta");
        // The unsealed rows are found through this index, as the SQLite store's partial index windows_unsealed.
        _windows.EnsureIndex("seq");
        _pendingRows = _windows.Count(Query.EQ("seq", BsonValue.Null));
    }

    /// <summary>Rows not yet sealed into a delta.</summary>
    public long PendingRows => _pendingRows;

    /// <summary>Inserts window rows in one transaction and fills <paramref name="rowIds"/>, as <see cref="EdgeStore.InsertWindows"/>.</summary>
    public void InsertWindows(ReadOnlySpan<WindowRecord> records, Span<long> rowIds)
    {
        _db.BeginTrans();
        try
        {
            for (var i = 0; i < records.Length; i++)
            {
                rowIds[i] = _windows.Insert(ToDocument(records[i])).AsInt64;
            }

            _db.Commit();
        }
        catch
        {
            _db.Rollback();
            throw;
        }

        _pendingRows += records.Length;
    }

    /// <summary>
    /// Seals up to <paramref name="maxRows"/> pending rows, oldest first, in ONE transaction (next sequence, frozen bytes and their
    /// SHA-256, the rows stamped), as <see cref="EdgeStore.TrySeal"/>; null when nothing is pending.
    /// </summary>
    public SealedDelta? TrySeal(int maxRows)
    {
        if (_pendingRows == 0)
        {
            return null;
        }

        _db.BeginTrans();
        try
        {
            var seq = (_meta.FindById("last_seq")?["value"].AsInt64 ?? 0) + 1;
            var rows = _windows.Query().Where(Query.EQ("seq", BsonValue.Null)).OrderBy("_id").Limit(maxRows).ToList();
            if (rows.Count == 0)
            {
                _db.Rollback();
                _pendingRows = 0;
                return null;
            }

            using var bytes = new MemoryStream();
            foreach (var row in rows)
            {
                bytes.Write(row["features"].AsBinary);
                row["seq"] = seq;
                _windows.Update(row);
            }

            var frozen = bytes.ToArray();
            var sha = Convert.ToHexStringLower(SHA256.HashData(frozen));
            var deltaId = $"lite-{seq:D10}";
            _deltas.Insert(new BsonDocument
            {
                ["_id"] = seq, ["delta_id"] = deltaId, ["rows"] = rows.Count, ["sha256"] = sha, ["bytes"] = frozen,
                ["size"] = frozen.Length, ["created_at"] = EdgeStore.ToMicros(DateTimeOffset.UtcNow), ["acked_at"] = BsonValue.Null,
            });
            _meta.Upsert(new BsonDocument { ["_id"] = "last_seq", ["value"] = seq });
            _db.Commit();
            _pendingRows -= rows.Count;
            return new SealedDelta(seq, deltaId, rows.Count, sha, frozen.Length, null, 0);
        }
        catch
        {
            _db.Rollback();
            throw;
        }
    }

    /// <summary>Deltas waiting for an ack, oldest first.</summary>
    public IReadOnlyList<SealedDelta> Unacked(int limit) =>
        [.. _deltas.Find(Query.EQ("acked_at", BsonValue.Null)).OrderBy(d => d["_id"].AsInt64).Take(limit).Select(ToDelta)];

    /// <summary>Every delta, oldest first (the audit's view).</summary>
    public IReadOnlyList<(SealedDelta Delta, bool Acked)> AllDeltas() =>
        [.. _deltas.FindAll().OrderBy(d => d["_id"].AsInt64).Select(d => (ToDelta(d), !d["acked_at"].IsNull))];

    /// <summary>(window end µs, delta sequence or 0) of every window row in id order (the audit's view).</summary>
    public IReadOnlyList<(long WindowEnd, long Seq)> AllWindows() =>
        [.. _windows.Query().OrderBy("_id").Select("{ w: $.window_end, s: $.seq }").ToEnumerable()
            .Select(d => (d["w"].AsInt64, d["s"].IsNull ? 0L : d["s"].AsInt64))];

    /// <summary>Settles delta <paramref name="sequence"/> as committed by the hub; false when no unsettled delta has it.</summary>
    public bool RecordAck(long sequence)
    {
        var delta = _deltas.FindById(sequence);
        if (delta is null || !delta["acked_at"].IsNull)
        {
            return false;
        }

        delta["acked_at"] = EdgeStore.ToMicros(DateTimeOffset.UtcNow);
        delta["status"] = "committed";
        return _deltas.Update(delta);
    }

    /// <inheritdoc />
    public void Dispose() => _db.Dispose();

    private static BsonDocument ToDocument(WindowRecord r)
    {
        var predicted = r.PredictedClass >= 0;
        return new BsonDocument
        {
            ["site_id"] = r.SiteId,
            ["device_pseudonym"] = r.DevicePseudonym,
            ["patient_pseudonym"] = r.PatientPseudonym,
            ["window_end"] = r.WindowEndMicros,
            ["recorded_at"] = r.RecordedAtMicros,
            ["features"] = MemoryMarshal.AsBytes(r.Features.AsSpan()).ToArray(),
            ["model_version"] = predicted && r.ModelVersion is not null ? r.ModelVersion : BsonValue.Null,
            ["predicted_class"] = predicted ? r.PredictedClass : BsonValue.Null,
            ["probs"] = predicted ? MemoryMarshal.AsBytes(r.Probabilities.AsSpan()).ToArray() : BsonValue.Null,
            ["alert_id"] = r.AlertId is null ? BsonValue.Null : r.AlertId,
            ["seq"] = BsonValue.Null,
        };
    }

    private static SealedDelta ToDelta(BsonDocument d) =>
        new(d["_id"].AsInt64, d["delta_id"].AsString, d["rows"].AsInt32, d["sha256"].AsString, d["size"].AsInt32,
            d["acked_at"].IsNull ? null : "committed", 0);
}
