namespace EdgeHub.Datasets;

/// <summary>
/// Paths of <c>add</c>/<c>remove</c> actions (Delta PROTOCOL.md "Add File and Remove File": a URI, relative to the table
/// root or absolute). A table's own files are relative names; a branch refers to files of the table it was branched from
/// by absolute <c>file://</c> URIs, the way Delta's shallow clones do, so no data file is copied.
/// </summary>
internal static class DataPaths
{
    private const string FileScheme = "file://";

    /// <summary>The local file an action path names.</summary>
    public static string Resolve(string tablePath, string actionPath)
    {
        if (actionPath.StartsWith(FileScheme, StringComparison.Ordinal)) return new Uri(actionPath).LocalPath;
        return Path.GetFullPath(Path.Combine(tablePath, actionPath));
    }

    /// <summary>An absolute file URI for a local path (what a branch's log stores for files it does not own).</summary>
    public static string ToUri(string fullPath) => new Uri(Path.GetFullPath(fullPath)).AbsoluteUri;

    /// <summary>
    /// The action path under which table <paramref name="tablePath"/> refers to <paramref name="fullPath"/>: its bare name
    /// when the file lies in the table's folder, else an absolute URI.
    /// </summary>
    public static string For(string tablePath, string fullPath)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(fullPath));
        return string.Equals(dir, Path.GetFullPath(tablePath).TrimEnd('/'), StringComparison.Ordinal)
            ? Path.GetFileName(fullPath)
            : ToUri(fullPath);
    }
}
