using System.Text.Json;
using EdgeHub.Datasets.Log;

namespace EdgeHub.Datasets;

/// <summary>
/// What branches, merges and erasure need from a table: raw commits under the same optimistic concurrency as delta
/// commits, old states, the files branches still reference (so vacuum keeps them) and the erasure registry.
/// </summary>
public sealed partial class DeltaTable
{
    /// <summary>Sidecar listing data files deleted by erasure; Delta readers ignore unknown files in _delta_log.</summary>
    internal string ErasedRegistryPath => System.IO.Path.Combine(LogPath, "_edgehub_erased.json");

    /// <summary>
    /// Publishes the commit <paramref name="build"/> makes from the latest state as the next version, retrying (with a fresh
    /// state) when another writer took that version. <paramref name="build"/> may throw to abort (e.g. on a merge conflict).
    /// </summary>
    internal long PublishCommit(Func<TableState, CommitActions> build)
    {
        lock (_commitLock)
        {
            for (var attempt = 0; attempt < _options.MaxCommitAttempts; attempt++)
            {
                Refresh();
                TableState s;
                lock (_sync) s = _state;
                var c = build(s);
                c.Timestamp = NextTimestamp(s);
                var version = s.Version + 1;
                if (DeltaLogFiles.TryPublish(DeltaLogFiles.CommitPath(LogPath, version), c.ToJsonLines()))
                {
                    Refresh();
                    MaybeCheckpoint(version);
                    return version;
                }
            }
        }
        throw new DatasetException($"could not commit to table {Region}: lost the race for a version {_options.MaxCommitAttempts} times; retry later");
    }

    /// <summary>Publishes <paramref name="c"/> exactly as <paramref name="version"/>; false when that version exists.</summary>
    internal bool TryPublishAt(long version, CommitActions c)
    {
        lock (_commitLock)
        {
            var ok = DeltaLogFiles.TryPublish(DeltaLogFiles.CommitPath(LogPath, version), c.ToJsonLines());
            if (ok) Refresh();
            return ok;
        }
    }

    /// <summary>The state at <paramref name="version"/> replayed from JSON (files carry the version that added them).</summary>
    internal TableState StateAt(long version)
    {
        Refresh();
        lock (_sync)
        {
            if (version < 0 || version > _state.Version)
                throw new DatasetException($"table {Region} has versions 0..{_state.Version}; version {version} does not exist");
            return Replay(version, useCheckpoint: false);
        }
    }

    /// <summary>The commit file of <paramref name="version"/>, parsed, or null when it was cleaned up.</summary>
    internal CommitActions? CommitAt(long version)
    {
        var file = DeltaLogFiles.CommitPath(LogPath, version);
        return File.Exists(file) ? CommitActions.Parse(File.ReadAllBytes(file), file) : null;
    }

    /// <summary>Every data file any version of any branch of this region refers to (full local paths).</summary>
    private HashSet<string> BranchReferencedFiles()
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        var dir = DatasetBranches.BranchesFolder(System.IO.Path.GetDirectoryName(TablePath)!, Region);
        if (!Directory.Exists(dir)) return set;
        foreach (var branch in Directory.EnumerateDirectories(dir))
        {
            var log = System.IO.Path.Combine(branch, "_delta_log");
            if (!Directory.Exists(log)) continue;
            foreach (var file in Directory.EnumerateFiles(log, "*.json"))
            {
                if (System.IO.Path.GetFileName(file).StartsWith('_')) continue;
                foreach (var a in CommitActions.Parse(File.ReadAllBytes(file), file).Adds) set.Add(DataPaths.Resolve(branch, a.Path));
            }
        }
        return set;
    }

    /// <summary>Full paths of data files deleted by erasure, with the erasure that deleted each.</summary>
    internal Dictionary<string, string> ErasedFiles()
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists(ErasedRegistryPath)) return map;
        using var doc = JsonDocument.Parse(File.ReadAllBytes(ErasedRegistryPath));
        foreach (var e in doc.RootElement.EnumerateArray())
        {
            var id = e.GetProperty("erasureId").GetString()!;
            foreach (var f in e.GetProperty("files").EnumerateArray()) map[f.GetString()!] = id;
        }
        return map;
    }

    /// <summary>Time travel to a version that held erased rows fails with a clear message instead of a missing-file crash.</summary>
    private void ThrowIfErased(DeltaSnapshot snap)
    {
        if (!File.Exists(ErasedRegistryPath)) return;
        var erased = ErasedFiles();
        foreach (var f in snap.Files)
            if (erased.TryGetValue(DataPaths.Resolve(TablePath, f.Path), out var id))
                throw new DatasetErasedException($"version {snap.Version} of table {Region} is no longer readable: it held rows erased by " +
                    $"erasure {id} (right to erasure). Read a version written after the erasure instead.");
    }
}

/// <summary>Thrown on time travel to a version whose data files were deleted by a right-to-erasure request.</summary>
public sealed class DatasetErasedException : DatasetException
{
    /// <summary>Creates the exception.</summary>
    public DatasetErasedException() { }

    /// <summary>Creates the exception with a message saying which version and erasure.</summary>
    public DatasetErasedException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the cause.</summary>
    public DatasetErasedException(string message, Exception inner) : base(message, inner) { }
}
