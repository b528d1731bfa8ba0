using EdgeHub.Parquet;

namespace EdgeHub.Datasets;

/// <summary>
/// The answer to <see cref="DatasetStore.CommitDelta"/>. Out-of-order policy: an edge's sequences start at
/// <see cref="DatasetStoreOptions.FirstSequence"/> and are committed strictly in order. A delta whose sequence is beyond the
/// next expected one is validated and held in memory (bounded per edge) and answered <see cref="Held"/> with the sequence
/// the table waits for; once the gap is filled the held deltas are committed in order. A held delta that is sent again
/// after it was committed is answered <see cref="Duplicate"/>, so an edge that re-sends unacknowledged deltas always
/// converges on acknowledgements.
/// </summary>
public abstract record CommitResult
{
    private CommitResult() { }

    /// <summary>Committed as table version <paramref name="Version"/>.</summary>
    public sealed record Committed(long Version) : CommitResult;

    /// <summary>Already committed earlier as table version <paramref name="Version"/>; not merged again.</summary>
    public sealed record Duplicate(long Version) : CommitResult;

    /// <summary>Rejected for good (corrupt, wrong schema, checksum mismatch, ...): <paramref name="Reason"/> says what and what to do.</summary>
    public sealed record Rejected(string Reason) : CommitResult;

    /// <summary>Not committed yet: the table waits for <paramref name="ExpectedSequence"/> from this edge first.</summary>
    public sealed record Held(long ExpectedSequence) : CommitResult;
}

/// <summary>What an edge says about a delta it sends (travels as MQTT properties / HTTP headers).</summary>
public sealed record DeltaManifest(string DeltaId, string Region, string EdgeId, long Sequence, long Rows, string Sha256);

/// <summary>One commit of a table's history.</summary>
public sealed record DeltaCommitInfo(long Version, DateTimeOffset Timestamp, string Operation, string? EdgeId, long? Sequence,
    string? DeltaId, long Rows, string? Sha256, string? Path);

/// <summary>
/// One data file of a snapshot. <c>AddedInVersion</c> is the commit that added it, or -1 for a file known only from a
/// checkpoint (added at or before the checkpoint's version; <see cref="DeltaTable.ReadRows"/> resolves it from the JSON log).
/// </summary>
public sealed record DeltaFile(string Path, long Size, long Rows, long AddedInVersion);

/// <summary>The table as of one version.</summary>
public sealed record DeltaSnapshot(long Version, DateTimeOffset Timestamp, ParquetSchema Schema, IReadOnlyList<DeltaFile> Files)
{
    /// <summary>Total rows in the snapshot's files.</summary>
    public long RowCount
    {
        get
        {
            long n = 0;
            foreach (var f in Files) n += f.Rows;
            return n;
        }
    }
}

/// <summary>Options for <see cref="DatasetStore"/>.</summary>
public sealed class DatasetStoreOptions
{
    /// <summary>Write a checkpoint every this many commits (0 = never).</summary>
    public int CheckpointInterval { get; set; } = 100;

    /// <summary>The first sequence number of every edge.</summary>
    public long FirstSequence { get; set; } = 1;

    /// <summary>Most out-of-order deltas held per edge waiting for a gap to fill.</summary>
    public int MaxHeldPerEdge { get; set; } = 64;

    /// <summary>Largest delta accepted, in bytes.</summary>
    public int MaxDeltaBytes { get; set; } = 256 << 20;

    /// <summary>How often a writer retries after losing the race for a version to another writer.</summary>
    public int MaxCommitAttempts { get; set; } = 1000;

    /// <summary>Clock for commit timestamps (tests may replace it).</summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;

    /// <summary>Logger factory; quiet by default.</summary>
    public Microsoft.Extensions.Logging.ILoggerFactory? LoggerFactory { get; set; }
}

/// <summary>Thrown when a table cannot be opened or changed as asked (corrupt log, incompatible schema change).</summary>
public class DatasetException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DatasetException() { }

    /// <summary>Creates the exception with a message saying what was wrong.</summary>
    public DatasetException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the cause.</summary>
    public DatasetException(string message, Exception inner) : base(message, inner) { }
}
