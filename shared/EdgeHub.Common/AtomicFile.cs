namespace EdgeHub.Common;

/// <summary>
/// Replaces or creates a file so that a reader, a crash or a power loss sees either the old content or the whole new
/// content, never a part: the bytes go to a temporary file beside the target, which is fsynced, renamed over the target
/// (atomic on POSIX), and then the directory is fsynced so the rename itself is durable (<see cref="DirectorySync"/>).
/// Every temp-file-then-rename writer of the project goes through here, so they all have the same durability.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="content"/> as <paramref name="path"/>, replacing any existing file.</summary>
    public static void Write(string path, ReadOnlySpan<byte> content, AtomicFileOptions options = AtomicFileOptions.None)
    {
        var temp = WriteTemp(path, content, options);
        Commit(temp, path, overwrite: true);
    }

    /// <summary>Writes what <paramref name="write"/> produces as <paramref name="path"/>, replacing any existing file.</summary>
    public static void Write(string path, Action<Stream> write, AtomicFileOptions options = AtomicFileOptions.None)
    {
        ArgumentNullException.ThrowIfNull(write);
        var temp = TempPathFor(path);
        try
        {
            using (var fs = OpenTemp(temp, options))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
        Commit(temp, path, overwrite: true);
    }

    /// <summary>Writes <paramref name="content"/> as a text file (UTF-8), replacing any existing file.</summary>
    public static void WriteText(string path, string content, AtomicFileOptions options = AtomicFileOptions.None)
    {
        ArgumentNullException.ThrowIfNull(content);
        Write(path, System.Text.Encoding.UTF8.GetBytes(content), options);
    }

    /// <summary>
    /// Creates <paramref name="path"/> with <paramref name="content"/> only if no file of that name exists yet; returns false
    /// (and leaves the existing file alone) when one does, so of two racing creators exactly one wins. Used for Delta log
    /// commits (put-if-absent of the next version), secrets created once, registry records.
    /// </summary>
    public static bool TryCreate(string path, ReadOnlySpan<byte> content, AtomicFileOptions options = AtomicFileOptions.None)
    {
        var temp = WriteTemp(path, content, options);
        try
        {
            // link(2), not File.Move(overwrite: false): .NET checks and renames in two steps, so two racers could both win.
            if (!NativeLink.TryCreateExclusive(temp, path))
            {
                return false;
            }
        }
        finally
        {
            TryDelete(temp);
        }
        DirectorySync.Flush(Path.GetDirectoryName(Path.GetFullPath(path))!);
        return true;
    }

    /// <summary>
    /// Gives the finished file <paramref name="existing"/> a second name <paramref name="newName"/> (a hard link: no copy) only
    /// if that name is free; false when it exists.
    /// </summary>
    public static bool TryLink(string existing, string newName) => NativeLink.TryCreateExclusive(existing, newName);

    private static string WriteTemp(string path, ReadOnlySpan<byte> content, AtomicFileOptions options)
    {
        var temp = TempPathFor(path);
        try
        {
            using var fs = OpenTemp(temp, options);
            fs.Write(content);
            fs.Flush(flushToDisk: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
        return temp;
    }

    private static FileStream OpenTemp(string temp, AtomicFileOptions options)
    {
        var settings = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if ((options & AtomicFileOptions.OwnerOnly) != 0 && !OperatingSystem.IsWindows())
        {
            // Owner-only from the first byte: a secret is never readable by others, not even while it is being written.
            settings.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        return new FileStream(temp, settings);
    }

    private static string TempPathFor(string path)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        // Unique per writer, so two writers of the same target never share (and corrupt) one temp file.
        return Path.Combine(dir, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N") + ".tmp");
    }

    private static void Commit(string temp, string path, bool overwrite)
    {
        try
        {
            File.Move(temp, path, overwrite);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
        DirectorySync.Flush(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    private static void TryDelete(string temp)
    {
        try
        {
            File.Delete(temp);
        }
        catch (IOException)
        {
            // A leftover dot-file is harmless; the caller's own error is the one to report.
        }
    }
}

/// <summary>How <see cref="AtomicFile"/> creates a file.</summary>
[Flags]
public enum AtomicFileOptions
{
    /// <summary>Default permissions.</summary>
    None = 0,

    /// <summary>Readable and writable by the owner only (keys, tokens).</summary>
    OwnerOnly = 1,
}
