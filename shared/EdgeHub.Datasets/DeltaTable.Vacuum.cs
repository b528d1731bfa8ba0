namespace EdgeHub.Datasets;

public sealed partial class DeltaTable
{
    /// <summary>
    /// Deletes data files no snapshot from the last <paramref name="retention"/> can need: files the latest version does not
    /// reference (orphans of interrupted or lost commits, and removed files) whose modification time — or, for removed files,
    /// deletion timestamp — is older than the retention period; and stale temporary commit files. Time travel to versions
    /// that referenced a vacuumed file is no longer possible (as in Delta Lake). Returns the deleted paths (relative).
    /// </summary>
    public IReadOnlyList<string> Vacuum(TimeSpan retention)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(retention, TimeSpan.Zero);
        Refresh();
        var cutoff = _options.Clock.GetUtcNow() - retention;
        var deleted = new List<string>();
        var branchRefs = BranchReferencedFiles();
        HashSet<string> live;
        Dictionary<string, long> tombstones;
        lock (_sync)
        {
            live = new HashSet<string>(_state.Files.Keys, StringComparer.Ordinal);
            tombstones = new Dictionary<string, long>(_state.Tombstones, StringComparer.Ordinal);
        }
        foreach (var file in Directory.EnumerateFiles(TablePath, "*.parquet", SearchOption.TopDirectoryOnly))
        {
            var name = Path.GetFileName(file);
            if (live.Contains(name)) continue;
            if (branchRefs.Contains(Path.GetFullPath(file))) continue; // branches share main's files without copies
            var when = tombstones.TryGetValue(name, out var ms)
                ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
                : new DateTimeOffset(File.GetLastWriteTimeUtc(file), TimeSpan.Zero);
            if (when > cutoff) continue;
            // Re-check against the log right before deleting: a racing writer may have just committed this file.
            if (IsReferencedNow(name)) continue;
            File.Delete(file);
            deleted.Add(name);
        }
        foreach (var tmp in Directory.EnumerateFiles(LogPath, ".*.tmp", SearchOption.TopDirectoryOnly))
        {
            if (new DateTimeOffset(File.GetLastWriteTimeUtc(tmp), TimeSpan.Zero) > cutoff) continue;
            File.Delete(tmp);
            deleted.Add("_delta_log/" + Path.GetFileName(tmp));
        }
        return deleted;
    }

    private bool IsReferencedNow(string name)
    {
        Refresh();
        lock (_sync) return _state.Files.ContainsKey(name);
    }
}
