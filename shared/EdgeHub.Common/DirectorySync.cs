using System.Runtime.InteropServices;

namespace EdgeHub.Common;

/// <summary>
/// Makes a rename durable: after <c>rename(2)</c> replaces a file, the new directory entry reaches the disk only when the
/// directory itself is fsynced (POSIX); until then a power loss could bring back the old file (or none) while what the new
/// one holds is already acknowledged. .NET cannot open a directory as a file, so libc is called.
/// </summary>
public static partial class DirectorySync
{
    private const int ReadOnly = 0; // O_RDONLY

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    /// <summary>fsyncs <paramref name="directory"/> (Unix; Windows makes renames durable with the file's own flush).</summary>
    public static void Flush(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        var fd = Open(directory, ReadOnly);
        if (fd < 0)
        {
            throw new IOException($"cannot open directory '{directory}' to fsync it (errno {Marshal.GetLastPInvokeError()})");
        }
        try
        {
            if (Fsync(fd) != 0)
            {
                throw new IOException($"fsync of directory '{directory}' failed (errno {Marshal.GetLastPInvokeError()}); check the disk");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }
}
