using System.Globalization;
using System.Runtime.InteropServices;

namespace EdgeHub.Onnx;

/// <summary>
/// Gives back the resident code pages of a loaded native library (Linux). Creating an ORT session touches most of
/// libonnxruntime's ~34 MB of code (every CPU kernel registers, graph optimisers run) and the kernel maps it in 64 KB
/// chunks: ~20 MB stays resident for a process that afterwards runs a few small kernels. Dropping the mapping's pages
/// (<c>madvise(MADV_DONTNEED)</c>) is safe for executable pages read straight from the file: the next call into a
/// dropped page maps it again from the page cache (a minor fault), so only the code actually used returns.
/// A mapping holding any page the process wrote (a debugger's breakpoint, text relocations) is left alone: for those
/// the call would restore the file's bytes.
/// </summary>
internal static partial class CodePages
{
    private const int MadvDontNeed = 4;
    private static long _ortBytesReleased;

    /// <summary>Resident ORT code bytes given back after session loads so far, in this process.</summary>
    public static long OrtBytesReleased => Interlocked.Read(ref _ortBytesReleased);

    /// <summary>Drops ORT's resident code pages after a session was created (~20 MB that loading touched and runs do not use).</summary>
    public static long ReleaseOrtLoadTimePages()
    {
        var released = Release(OrtLibrary.CodeAddress);
        Interlocked.Add(ref _ortBytesReleased, released);
        return released;
    }

    /// <summary>The file mapped at <paramref name="codeAddress"/> (from /proc/self/smaps), or null where that cannot be told.</summary>
    public static string? PathOf(nint codeAddress)
    {
        if (!OperatingSystem.IsLinux() || codeAddress == 0)
        {
            return null;
        }
        try
        {
            return ReadMappings("/proc/self/smaps").Find(m => (ulong)codeAddress >= m.Start && (ulong)codeAddress < m.End).Path;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// Drops the resident pages of the clean executable mappings of the file that contains <paramref name="codeAddress"/>;
    /// returns how many bytes were resident in them (0 when not on Linux or nothing was found).
    /// </summary>
    public static long Release(nint codeAddress)
    {
        if (!OperatingSystem.IsLinux() || codeAddress == 0)
        {
            return 0;
        }
        List<Mapping> mappings;
        try
        {
            mappings = ReadMappings("/proc/self/smaps");
        }
        catch (IOException)
        {
            return 0;
        }
        catch (UnauthorizedAccessException)
        {
            return 0;
        }
        var owner = mappings.Find(m => (ulong)codeAddress >= m.Start && (ulong)codeAddress < m.End);
        if (owner.Path is null)
        {
            return 0;
        }
        long released = 0;
        foreach (var m in mappings)
        {
            if (m.Path == owner.Path && m.Executable && !m.Writable && m.WrittenKb == 0 && m.RssKb > 0
                && Madvise((nint)m.Start, (nuint)(m.End - m.Start), MadvDontNeed) == 0)
            {
                released += m.RssKb * 1024;
            }
        }
        return released;
    }

    /// <summary>One mapping of /proc/self/smaps: address range, permissions, file, resident and written kilobytes.</summary>
    internal readonly record struct Mapping(ulong Start, ulong End, bool Executable, bool Writable, string? Path, long RssKb, long WrittenKb);

    /// <summary>Parses an smaps file (header line per mapping, then "Key: value kB" lines).</summary>
    internal static List<Mapping> ReadMappings(string smapsPath)
    {
        var result = new List<Mapping>();
        ulong start = 0, end = 0;
        bool exec = false, write = false, open = false;
        string? path = null;
        long rss = 0, written = 0;
        foreach (var line in File.ReadLines(smapsPath))
        {
            var dash = line.IndexOf('-', StringComparison.Ordinal);
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            if (dash > 0 && space > dash && IsHex(line.AsSpan(0, dash)))
            {
                if (open)
                {
                    result.Add(new Mapping(start, end, exec, write, path, rss, written));
                }
                start = ulong.Parse(line.AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                end = ulong.Parse(line.AsSpan(dash + 1, space - dash - 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                var perms = line.AsSpan(space + 1, 4);
                write = perms[1] == 'w';
                exec = perms[2] == 'x';
                // Fields: range perms offset dev inode [path]; the path is what follows the inode.
                var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
                var named = fields.Length == 6 ? fields[5].Trim() : "";
                path = named.StartsWith('/') ? named : null;
                rss = written = 0;
                open = true;
            }
            else if (line.StartsWith("Rss:", StringComparison.Ordinal))
            {
                rss = Kilobytes(line);
            }
            else if (line.StartsWith("Private_Dirty:", StringComparison.Ordinal) || line.StartsWith("Anonymous:", StringComparison.Ordinal))
            {
                written += Kilobytes(line);
            }
        }
        if (open)
        {
            result.Add(new Mapping(start, end, exec, write, path, rss, written));
        }
        return result;
    }

    private static bool IsHex(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }
        return s.Length > 0;
    }

    private static long Kilobytes(string line)
    {
        var colon = line.IndexOf(':', StringComparison.Ordinal);
        var value = line.AsSpan(colon + 1).Trim();
        var unit = value.IndexOf(' ');
        return long.TryParse(unit < 0 ? value : value[..unit], NumberStyles.Integer, CultureInfo.InvariantCulture, out var kb) ? kb : 0;
    }

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static partial int Madvise(nint address, nuint length, int advice);
}
