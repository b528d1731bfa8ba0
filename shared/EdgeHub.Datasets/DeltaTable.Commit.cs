using System.Globalization;
using EdgeHub.Datasets.Log;
using EdgeHub.Parquet;

namespace EdgeHub.Datasets;

public sealed partial class DeltaTable
{
    private readonly Dictionary<string, SortedDictionary<long, HeldDelta>> _held = new(StringComparer.Ordinal);

    private sealed record HeldDelta(byte[] Bytes, DeltaManifest Manifest, string Stats);

    /// <summary>Creates version 0 (protocol + metaData) unless another writer created the table first.</summary>
    internal void CreateIfMissing(ParquetSchema schema)
    {
        Directory.CreateDirectory(LogPath);
        if (File.Exists(DeltaLogFiles.CommitPath(LogPath, 0))) return;
        var now = _options.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        var c = new CommitActions
        {
            Timestamp = now,
            Operation = "CREATE TABLE",
            MinReader = 1,
            MinWriter = 2,
            MetaDataId = Guid.NewGuid().ToString(),
            SchemaString = SparkSchema.ToJson(schema),
            CreatedTime = now,
        };
        DeltaLogFiles.TryPublish(DeltaLogFiles.CommitPath(LogPath, 0), c.ToJsonLines());
    }

    /// <summary>Evolves the schema to <paramref name="schema"/> (only appended nullable columns allowed).</summary>
    internal void EnsureSchema(ParquetSchema schema)
    {
        for (var attempt = 0; attempt < _options.MaxCommitAttempts; attempt++)
        {
            Refresh();
            TableState s;
            lock (_sync) s = _state;
            if (s.Schema!.SameAs(schema)) return;
            var problem = SparkSchema.EvolutionProblem(s.Schema, schema);
            if (problem is not null)
                throw new DatasetException($"table {Region} has schema ({s.Schema}); cannot change it to ({schema}): {problem}");
            var c = new CommitActions
            {
                Timestamp = NextTimestamp(s),
                Operation = "ADD COLUMNS",
                MetaDataId = s.MetaDataId,
                SchemaString = SparkSchema.ToJson(schema),
                CreatedTime = s.CreatedTime,
            };
            if (DeltaLogFiles.TryPublish(DeltaLogFiles.CommitPath(LogPath, s.Version + 1), c.ToJsonLines())) return;
        }
        throw new DatasetException($"could not evolve the schema of table {Region}: too many concurrent commits");
    }

    /// <summary>Commits a validated delta or holds it (see <see cref="CommitResult"/> for the ordering policy).</summary>
    internal CommitResult CommitValidated(byte[] bytes, DeltaManifest m, string stats)
    {
        lock (_commitLock)
        {
            var first = Decide(m.EdgeId, m.Sequence, out var expected);
            if (first is not null) return first;
            if (m.Sequence > expected)
            {
                if (!_held.TryGetValue(m.EdgeId, out var queue)) _held[m.EdgeId] = queue = [];
                if (!queue.ContainsKey(m.Sequence) && queue.Count >= _options.MaxHeldPerEdge)
                    return new CommitResult.Rejected($"edge {m.EdgeId} already has {queue.Count} deltas held waiting for sequence {expected}; send {expected} first");
                queue[m.Sequence] = new HeldDelta(bytes, m, stats);
                return new CommitResult.Held(expected);
            }
            var result = CommitInOrder(bytes, m, stats);
            DrainHeld(m.EdgeId);
            return result;
        }
    }

    private readonly Lock _commitLock = new();

    /// <summary>Duplicate(version) when (edge, sequence) is already committed, else null.</summary>
    internal CommitResult.Duplicate? DuplicateOf(string edgeId, long sequence)
    {
        lock (_commitLock) return Decide(edgeId, sequence, out _);
    }

    /// <summary>Duplicate when already committed; otherwise null with the next expected sequence.</summary>
    private CommitResult.Duplicate? Decide(string edgeId, long sequence, out long expected)
    {
        Refresh();
        lock (_sync)
        {
            expected = _state.Txns.TryGetValue(edgeId, out var last) ? last + 1 : _options.FirstSequence;
            if (sequence < expected) return new CommitResult.Duplicate(VersionOf(edgeId, sequence));
        }
        return null;
    }

    private void DrainHeld(string edgeId)
    {
        if (!_held.TryGetValue(edgeId, out var queue)) return;
        while (queue.Count > 0)
        {
            var (seq, held) = queue.First();
            if (Decide(edgeId, seq, out var expected) is not null) { queue.Remove(seq); continue; }
            if (seq != expected) break;
            queue.Remove(seq);
            CommitInOrder(held.Bytes, held.Manifest, held.Stats);
        }
        if (queue.Count == 0) _held.Remove(edgeId);
    }

    /// <summary>Writes the data file, then races for the next version; on losing, re-reads the log and re-checks the txn.</summary>
    private CommitResult CommitInOrder(byte[] bytes, DeltaManifest m, string stats)
    {
        var file = $"part-{m.EdgeId}-{m.Sequence.ToString("D12", CultureInfo.InvariantCulture)}-{Guid.NewGuid():N}.parquet";
        var full = System.IO.Path.Combine(TablePath, file);
        DeltaLogFiles.WriteNew(full, bytes);
        for (var attempt = 0; attempt < _options.MaxCommitAttempts; attempt++)
        {
            if (attempt > 0 && Decide(m.EdgeId, m.Sequence, out _) is { } dup)
            {
                File.Delete(full); // another writer committed the same delta while we raced
                return dup;
            }
            TableState s;
            lock (_sync) s = _state;
            var ts = NextTimestamp(s);
            var c = new CommitActions
            {
                Timestamp = ts,
                Operation = "WRITE",
                Adds = [new AddAction(file, bytes.Length, ts, stats, m.Rows)],
                Txns = [new TxnAction(m.EdgeId, m.Sequence, ts)],
                Lineage = new Lineage(m.DeltaId, m.EdgeId, m.Sequence, m.Rows, m.Sha256.ToLowerInvariant()),
            };
            var version = s.Version + 1;
            if (DeltaLogFiles.TryPublish(DeltaLogFiles.CommitPath(LogPath, version), c.ToJsonLines()))
            {
                Refresh();
                MaybeCheckpoint(version);
                return new CommitResult.Committed(version);
            }
            Refresh();
        }
        File.Delete(full);
        return new CommitResult.Rejected($"could not commit to table {Region}: lost the race for a version {_options.MaxCommitAttempts} times; retry later");
    }

    /// <summary>Commit timestamps strictly increase so time travel by timestamp is well defined.</summary>
    private long NextTimestamp(TableState s) => Math.Max(_options.Clock.GetUtcNow().ToUnixTimeMilliseconds(), s.Timestamp + 1);

    private long VersionOf(string edgeId, long sequence)
    {
        if (_state.SequenceVersions.TryGetValue((edgeId, sequence), out var v)) return v;
        // Older than the checkpoint we loaded from: scan the remaining JSON commits backwards.
        for (var version = _state.Version; version >= 0; version--)
        {
            var file = DeltaLogFiles.CommitPath(LogPath, version);
            if (!File.Exists(file)) break;
            var c = CommitActions.Parse(File.ReadAllBytes(file), file);
            if (c.Lineage is { } l && l.EdgeId == edgeId && l.Sequence == sequence) return version;
        }
        return -1;
    }
}
