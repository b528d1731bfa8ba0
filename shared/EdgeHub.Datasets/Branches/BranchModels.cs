namespace EdgeHub.Datasets;

/// <summary>One branch of a regional table.</summary>
/// <param name="Region">The region whose table was branched.</param>
/// <param name="Name">The branch name.</param>
/// <param name="Parent">The ref it was branched from ("main" or another branch).</param>
/// <param name="BaseVersion">The parent's version at the branch point (versions 0..BaseVersion are the parent's).</param>
/// <param name="HeadVersion">The branch's newest version.</param>
/// <param name="Created">When it was created.</param>
/// <param name="MergedVersion">The branch version last merged into the parent (BaseVersion when never merged).</param>
/// <param name="ParentMergeVersion">The parent's version that merge produced (BaseVersion when never merged).</param>
public sealed record BranchInfo(string Region, string Name, string Parent, long BaseVersion, long HeadVersion, DateTimeOffset Created,
    long MergedVersion, long ParentMergeVersion);

/// <summary>Which rows and labels differ between two refs of one region (rows keyed by <see cref="BranchOptions.KeyColumns"/>).</summary>
public sealed record DatasetDiff(string Region, string From, long FromVersion, string To, long ToVersion, int FilesAdded, int FilesRemoved,
    long RowsAdded, long RowsRemoved, long RowsChanged, long LabelsAdded, long LabelsRemoved, long LabelsChanged,
    IReadOnlyList<string> AddedKeys, IReadOnlyList<string> RemovedKeys, IReadOnlyList<string> ChangedKeys);

/// <summary>The outcome of a merge.</summary>
/// <param name="Kind">"fast-forward" (the parent had not moved: the branch's commits were replayed onto it), "merge" (one merge commit) or "up-to-date".</param>
/// <param name="Version">The parent's version after the merge.</param>
/// <param name="Commits">Commits written to the parent.</param>
/// <param name="Diff">What the merge brought in.</param>
public sealed record MergeResult(string Kind, long Version, int Commits, DatasetDiff Diff);

/// <summary>How branches key rows and find labels.</summary>
public sealed class BranchOptions
{
    /// <summary>Columns that identify a row across versions (the delta schema's window rows and label rows).</summary>
    public IReadOnlyList<string> KeyColumns { get; set; } = ["row_kind", "window_id", "recorded_at"];

    /// <summary>The label column (diffs count labels added, removed and changed).</summary>
    public string LabelColumn { get; set; } = "label";

    /// <summary>Most keys listed per category in a diff or conflict report.</summary>
    public int MaxKeysReported { get; set; } = 100;
}

/// <summary>A merge refused because both sides changed the same rows; nothing was written.</summary>
public sealed class MergeConflictException : DatasetException
{
    /// <summary>Creates the exception.</summary>
    public MergeConflictException() => Keys = [];

    /// <summary>Creates the exception with a message.</summary>
    public MergeConflictException(string message) : base(message) => Keys = [];

    /// <summary>Creates the exception with a message and the cause.</summary>
    public MergeConflictException(string message, Exception inner) : base(message, inner) => Keys = [];

    /// <summary>Creates the exception listing the conflicting row keys.</summary>
    public MergeConflictException(string message, IReadOnlyList<string> keys) : base(message) => Keys = keys;

    /// <summary>Keys of the rows both sides changed differently.</summary>
    public IReadOnlyList<string> Keys { get; }
}
