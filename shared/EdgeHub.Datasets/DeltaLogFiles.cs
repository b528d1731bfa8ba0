using System.Globalization;

namespace EdgeHub.Datasets;

/// <summary>File naming and atomic no-clobber publication in <c>_delta_log</c>.</summary>
internal static class DeltaLogFiles
{
    public static string CommitPath(string logDir, long version) =>
        Path.Combine(logDir, version.ToString("D20", CultureInfo.InvariantCulture) + ".json");

    /// <summary>
    /// Publishes <paramref name="content"/> as <paramref name="target"/> only if no file of that name exists: the bytes go to a
    /// temporary file first (fsynced), which is then hard-linked into place (<see cref="NativeLink"/>), which fails if
    /// the name exists. A reader never sees a partial commit, and of two racing writers exactly one wins. Returns false when
    /// the target already exists.
    /// </summary>
    public static bool TryPublish(string target, ReadOnlySpan<byte> content)
    {
        var dir = Path.GetDirectoryName(target)!;
        var tmp = Path.Combine(dir, "." + Path.GetFileName(target) + "." + Guid.NewGuid().ToString("N") + ".tmp");
        using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1))
        {
            fs.Write(content);
            fs.Flush(flushToDisk: true);
        }
        try
        {
            return NativeLink.TryCreateExclusive(tmp, target);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    /// <summary>Writes a new data file (never overwriting) and fsyncs it.</summary>
    public static void WriteNew(string path, ReadOnlySpan<byte> content)
    {
        using var fs = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1);
        fs.Write(content);
        fs.Flush(flushToDisk: true);
    }
}
