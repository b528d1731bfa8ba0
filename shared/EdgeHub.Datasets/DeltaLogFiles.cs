using System.Globalization;
using EdgeHub.Common;

namespace EdgeHub.Datasets;

/// <summary>File naming and atomic no-clobber publication in <c>_delta_log</c>.</summary>
internal static class DeltaLogFiles
{
    public static string CommitPath(string logDir, long version) =>
        Path.Combine(logDir, version.ToString("D20", CultureInfo.InvariantCulture) + ".json");

    /// <summary>
    /// Publishes <paramref name="content"/> as <paramref name="target"/> only if no file of that name exists (the Delta log's
    /// put-if-absent): a reader never sees a partial commit, and of two racing writers exactly one wins. Returns false when
    /// the target already exists.
    /// </summary>
    public static bool TryPublish(string target, ReadOnlySpan<byte> content) => AtomicFile.TryCreate(target, content);

    /// <summary>Writes a new data file (never overwriting) and fsyncs it.</summary>
    public static void WriteNew(string path, ReadOnlySpan<byte> content)
    {
        using var fs = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1);
        fs.Write(content);
        fs.Flush(flushToDisk: true);
    }
}
