namespace EdgeHub.Datasets;

/// <summary>
/// What one erasure did. The erased value itself never appears (the report is kept under the data root): it is named by
/// its SHA-256 only.
/// </summary>
public sealed record ErasureReport(string ErasureId, string Region, string Column, string ValueSha256, DateTimeOffset At,
    long RowsErased, IReadOnlyList<ErasedFile> Files, IReadOnlyList<ErasedTable> Tables)
{
    /// <summary>Where the report is kept (set after it was written).</summary>
    public string? ReportPath { get; init; }
}

/// <summary>One data file that held the value: its rows of it, whether it was live, and the file that replaced it.</summary>
public sealed record ErasedFile(string Path, long Rows, long RowsErased, bool WasLive, string? ReplacedBy);

/// <summary>One table (main or a branch): the erasure commit, the versions marked unreadable, log files and checkpoints scrubbed.</summary>
public sealed record ErasedTable(string Table, long? CommitVersion, IReadOnlyList<long> MarkedVersions, int LogFilesScrubbed, int CheckpointsRemoved);
