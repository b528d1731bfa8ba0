using System.Runtime.InteropServices;

namespace EdgeHub.Common;

/// <summary>
/// Atomic "create this name only if it does not exist" for a finished file. On Unix, <c>link(2)</c> fails with EEXIST when
/// the name exists (File.Move(overwrite:false) checks and renames in two steps, so two racing writers can both "win").
/// On Windows, MoveFileEx without MOVEFILE_REPLACE_EXISTING is already atomic, so File.Move is used.
/// </summary>
internal static partial class NativeLink
{
    private const int EEXIST = 17;

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Link(string existing, string newName);

    /// <summary>Makes <paramref name="target"/> name the same file as <paramref name="source"/>; false when the target exists.</summary>
    public static bool TryCreateExclusive(string source, string target)
    {
        if (OperatingSystem.IsWindows())
        {
            try
            {
                File.Move(source, target, overwrite: false);
                return true;
            }
            catch (IOException) when (File.Exists(target))
            {
                return false;
            }
        }
        if (Link(source, target) == 0) return true;
        var errno = Marshal.GetLastPInvokeError();
        if (errno == EEXIST) return false;
        throw new IOException($"link('{source}', '{target}') failed with errno {errno}; the folder must be on a local POSIX file system");
    }
}
