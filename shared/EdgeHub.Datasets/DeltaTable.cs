using System.Globalization;
using EdgeHub.Datasets.Log;
using EdgeHub.Parquet;

namespace EdgeHub.Datasets;

/// <summary>
/// One regional Delta Lake table (reader 1 / writer 2): <c>_delta_log/%020d.json</c> commits plus Parquet data files in the
/// table folder. Thread-safe; several processes may write the same table (optimistic concurrency on commit file names).
/// </summary>
public sealed partial class DeltaTable
{
    private readonly Lock _sync = new();
    private readonly DatasetStoreOptions _options;
    private readonly Dictionary<long, long> _timestamps = [];
    private TableState _state = new();
    private readonly Microsoft.Extensions.Logging.ILogger _logger;

    internal DeltaTable(string path, string region, DatasetStoreOptions options)
    {
        TablePath = path;
        Region = region;
        LogPath = System.IO.Path.Combine(path, "_delta_log");
        _options = options;
        _logger = (options.LoggerFactory ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).CreateLogger("EdgeHub.Datasets.DeltaTable");
    }

    /// <summary>The region this table belongs to.</summary>
    public string Region { get; }

    /// <summary>The table's folder.</summary>
    public string TablePath { get; }

    internal string LogPath { get; }

    /// <summary>The newest committed version (after the last refresh).</summary>
    public long LatestVersion
    {
        get
        {
            Refresh();
            lock (_sync) return _state.Version;
        }
    }

    /// <summary>The current schema.</summary>
    public ParquetSchema Schema
    {
        get
        {
            Refresh();
            lock (_sync) return _state.Schema!;
        }
    }

    /// <summary>Reads commits written since the last refresh (by this or another process).</summary>
    public void Refresh()
    {
        lock (_sync)
        {
            if (_state.Version < 0) LoadFromCheckpoint();
            while (true)
            {
                var next = _state.Version + 1;
                var file = DeltaLogFiles.CommitPath(LogPath, next);
                byte[] content;
                try { content = File.ReadAllBytes(file); }
                catch (FileNotFoundException) { break; }
                var actions = CommitActions.Parse(content, file);
                _state.Apply(next, actions, file);
                _timestamps[next] = actions.Timestamp;
            }
            if (_state.Version < 0) throw new DatasetException($"no Delta table at {TablePath} (no {DeltaLogFiles.CommitPath(LogPath, 0)})");
            if (_state.Schema is null) throw new DatasetException($"table {TablePath} has no metaData action; the log is corrupt");
        }
    }

    /// <summary>The table as of <paramref name="version"/> (latest when null).</summary>
    public DeltaSnapshot Snapshot(long? version = null)
    {
        Refresh();
        lock (_sync)
        {
            if (version is null || version == _state.Version) return _state.ToSnapshot();
            if (version < 0 || version > _state.Version)
                throw new ArgumentOutOfRangeException(nameof(version), version, $"table {Region} has versions 0..{_state.Version}");
            var old = Replay(version.Value).ToSnapshot();
            ThrowIfErased(old);
            return old;
        }
    }

    /// <summary>The table as of the newest commit at or before <paramref name="time"/>.</summary>
    public DeltaSnapshot SnapshotAsOf(DateTimeOffset time)
    {
        Refresh();
        long lo = 0, hi;
        lock (_sync) hi = _state.Version;
        var t = time.ToUnixTimeMilliseconds();
        if (CommitTimestamp(0) > t)
            throw new ArgumentOutOfRangeException(nameof(time), time, $"table {Region} did not exist yet at {time:O} (created {DateTimeOffset.FromUnixTimeMilliseconds(CommitTimestamp(0)):O})");
        // Commit timestamps are strictly increasing (the writer enforces it), so binary search works.
        while (lo < hi)
        {
            var mid = lo + (hi - lo + 1) / 2;
            if (CommitTimestamp(mid) <= t) lo = mid;
            else hi = mid - 1;
        }
        return Snapshot(lo);
    }

    /// <summary>The newest sequence committed from <paramref name="edgeId"/>, or null when none.</summary>
    public long? LastSequence(string edgeId)
    {
        Refresh();
        lock (_sync) return _state.Txns.TryGetValue(edgeId, out var v) ? v : null;
    }

    /// <summary>Every commit, oldest first, with lineage for delta commits.</summary>
    public IEnumerable<DeltaCommitInfo> History()
    {
        var latest = LatestVersion;
        for (long v = 0; v <= latest; v++)
        {
            var file = DeltaLogFiles.CommitPath(LogPath, v);
            if (!File.Exists(file)) continue; // cleaned up behind a checkpoint
            var c = CommitActions.Parse(File.ReadAllBytes(file), file);
            long rows = 0;
            foreach (var a in c.Adds) rows += Math.Max(0, a.Rows);
            yield return new DeltaCommitInfo(v, DateTimeOffset.FromUnixTimeMilliseconds(c.Timestamp), c.Operation,
                c.Lineage?.EdgeId, c.Lineage?.Sequence, c.Lineage?.DeltaId, rows, c.Lineage?.Sha256,
                c.Adds.Count > 0 ? c.Adds[0].Path : null);
        }
    }

    /// <summary>
    /// Rows of the snapshot at <paramref name="version"/> (latest when null); with <paramref name="sinceVersion"/>, only rows
    /// added by commits after that version (what differential retraining needs). Columns follow the snapshot's schema;
    /// columns a file lacks (added later by schema evolution) read as null.
    /// </summary>
    public ColumnBatch ReadRows(long? version = null, long? sinceVersion = null)
    {
        var snap = Snapshot(version);
        if (sinceVersion is { } since && snap.Files.Any(f => f.AddedInVersion < 0 && since >= 0))
        {
            // Files loaded from a checkpoint do not say which commit added them; find out from the JSON log.
            lock (_sync) snap = Replay(snap.Version, useCheckpoint: false).ToSnapshot();
        }
        var files = new List<DeltaFile>();
        long total = 0;
        foreach (var f in snap.Files)
        {
            if (sinceVersion is { } s && f.AddedInVersion <= s) continue;
            files.Add(f);
            total += f.Rows;
        }
        if (total > int.MaxValue) throw new InvalidOperationException($"{total} rows do not fit one batch");
        return DataFileReader.ReadInto(TablePath, snap.Schema, files, (int)Math.Max(total, 0));
    }

    private long CommitTimestamp(long version)
    {
        lock (_sync)
            if (_timestamps.TryGetValue(version, out var ts)) return ts;
        var file = DeltaLogFiles.CommitPath(LogPath, version);
        var c = CommitActions.Parse(File.ReadAllBytes(file), file);
        lock (_sync) _timestamps[version] = c.Timestamp;
        return c.Timestamp;
    }

    /// <summary>Replays the log up to <paramref name="version"/> (from the newest checkpoint at or below it).</summary>
    private TableState Replay(long version, bool useCheckpoint = true)
    {
        var state = (useCheckpoint ? LoadCheckpointAtOrBelow(version) : null) ?? new TableState();
        for (var v = state.Version + 1; v <= version; v++)
        {
            var file = DeltaLogFiles.CommitPath(LogPath, v);
            if (!File.Exists(file)) throw new DatasetException($"version {v} of table {Region} is no longer in the log ({file}); time travel before it is not possible");
            state.Apply(v, CommitActions.Parse(File.ReadAllBytes(file), file), file);
        }
        return state;
    }

    internal static string FormatVersion(long v) => v.ToString(CultureInfo.InvariantCulture);
}
