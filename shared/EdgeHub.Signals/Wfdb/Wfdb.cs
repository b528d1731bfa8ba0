using System.Globalization;

namespace EdgeHub.Signals;

/// <summary>
/// Reader for PhysioNet WFDB records: header (.hea), signal files in formats 212, 16 and 80, and MIT-format annotation
/// files. Handles PhysioNet originals and wfdb-python rewrites (fractional gains and baselines, unsigned checksums).
/// Specification: WFDB "header(5)", "signal(5)" and "annot(5)" manual pages.
/// </summary>
public static partial class Wfdb
{
    /// <summary>
    /// Reads a record given its header path (<c>dir/101.hea</c>) or record path (<c>dir/101</c>), loading every signal.
    /// </summary>
    /// <exception cref="FileNotFoundException">The header or a signal file does not exist.</exception>
    /// <exception cref="InvalidDataException">The header is malformed, a format is unsupported or a signal file is short.</exception>
    public static WfdbRecord ReadRecord(string headerPathOrRecordPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(headerPathOrRecordPath);
        var headerPath = headerPathOrRecordPath.EndsWith(".hea", StringComparison.OrdinalIgnoreCase)
            ? headerPathOrRecordPath
            : headerPathOrRecordPath + ".hea";
        if (!File.Exists(headerPath))
        {
            throw new FileNotFoundException($"WFDB header '{headerPath}' not found; pass a record path like DIR/101 or DIR/101.hea", headerPath);
        }

        var header = ParseHeader(headerPath, File.ReadAllLines(headerPath));
        var dir = Path.GetDirectoryName(Path.GetFullPath(headerPath)) ?? ".";
        var samples = new int[header.Signals.Count][];
        var length = header.SampleCount;

        // Signals that share a file are stored interleaved, one frame (one sample of each) after another, in header order.
        var done = new bool[header.Signals.Count];
        for (var s = 0; s < header.Signals.Count; s++)
        {
            if (done[s])
            {
                continue;
            }

            var group = new List<int>();
            for (var k = s; k < header.Signals.Count; k++)
            {
                if (header.Signals[k].FileName == header.Signals[s].FileName)
                {
                    group.Add(k);
                    done[k] = true;
                }
            }

            ReadSignalFile(Path.Combine(dir, header.Signals[s].FileName), header, group, header.ByteOffsets[s], ref length, samples);
        }

        return new WfdbRecord(header.Name, header.SampleRate, header.Signals, samples, header.Comments);
    }

    private static void ReadSignalFile(string path, Header header, List<int> group, long byteOffset, ref int length, int[][] samples)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"WFDB signal file '{path}' named by header of record '{header.Name}' not found", path);
        }

        var format = header.Signals[group[0]].Format;
        foreach (var k in group)
        {
            if (header.Signals[k].Format != format)
            {
                throw new InvalidDataException($"record '{header.Name}': signals sharing '{path}' have different formats ({format} and {header.Signals[k].Format}); not supported");
            }
        }

        var bytes = File.ReadAllBytes(path).AsSpan();
        if (byteOffset > bytes.Length)
        {
            throw new InvalidDataException($"record '{header.Name}': byte offset {byteOffset} is past the end of '{path}' ({bytes.Length} bytes)");
        }

        bytes = bytes[(int)byteOffset..];
        var n = group.Count;
        long available = format switch
        {
            212 => bytes.Length * 2L / 3 / n,
            16 => bytes.Length / 2 / n,
            80 => bytes.Length / n,
            _ => throw new InvalidDataException($"record '{header.Name}': signal format {format} is not supported (supported: 212, 16, 80)"),
        };
        if (length <= 0)
        {
            length = (int)available;
        }
        else if (available < length)
        {
            throw new InvalidDataException($"record '{header.Name}': '{path}' holds {available} samples per signal, header says {length}; file truncated?");
        }

        foreach (var k in group)
        {
            samples[k] = new int[length];
        }

        var total = (long)length * n;
        switch (format)
        {
            case 212:
                // Two 12-bit two's-complement samples in three bytes: s0 = b0 | (b1 & 0x0F) << 8, s1 = b2 | (b1 & 0xF0) << 4.
                for (long i = 0; i < total; i++)
                {
                    var pair = (int)(i >> 1) * 3;
                    int v = (i & 1) == 0
                        ? bytes[pair] | ((bytes[pair + 1] & 0x0F) << 8)
                        : bytes[pair + 2] | ((bytes[pair + 1] & 0xF0) << 4);
                    if (v > 2047)
                    {
                        v -= 4096;
                    }

                    samples[group[(int)(i % n)]][i / n] = v;
                }

                break;
            case 16:
                for (long i = 0; i < total; i++)
                {
                    samples[group[(int)(i % n)]][i / n] = (short)(bytes[(int)(2 * i)] | (bytes[(int)(2 * i) + 1] << 8));
                }

                break;
            default: // 80: 8-bit offset binary
                for (long i = 0; i < total; i++)
                {
                    samples[group[(int)(i % n)]][i / n] = bytes[(int)i] - 128;
                }

                break;
        }
    }

    private sealed record Header(string Name, double SampleRate, int SampleCount, List<WfdbSignalInfo> Signals, List<long> ByteOffsets, List<string> Comments);

    private static Header ParseHeader(string path, string[] lines)
    {
        var comments = new List<string>();
        string[]? recordLine = null;
        var signals = new List<WfdbSignalInfo>();
        var offsets = new List<long>();
        var nsig = 0;
        var lineNo = 0;
        foreach (var raw in lines)
        {
            lineNo++;
            var line = raw.Trim();
            if (line.StartsWith('#'))
            {
                comments.Add(line[1..].Trim());
                continue;
            }

            if (line.Length == 0)
            {
                continue;
            }

            var f = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (recordLine is null)
            {
                recordLine = f;
                if (f.Length < 2 || !int.TryParse(f[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out nsig) || nsig < 0)
                {
                    throw new InvalidDataException($"{path}:{lineNo}: record line must be 'NAME NSIG [FS [NSAMP]]', got '{line}'");
                }

                if (f[0].Contains('/', StringComparison.Ordinal))
                {
                    throw new InvalidDataException($"{path}:{lineNo}: multi-segment records are not supported");
                }

                continue;
            }

            if (signals.Count == nsig)
            {
                break; // info strings after the signal lines are not part of the format we need
            }

            signals.Add(ParseSignalLine(path, lineNo, f, out var offset));
            offsets.Add(offset);
        }

        if (recordLine is null)
        {
            throw new InvalidDataException($"{path}: header has no record line");
        }

        if (signals.Count != nsig)
        {
            throw new InvalidDataException($"{path}: record line announces {nsig} signals, header describes {signals.Count}");
        }

        var fs = 250.0; // WFDB default sampling frequency when the header omits it
        if (recordLine.Length > 2)
        {
            var fsText = recordLine[2];
            var cut = fsText.IndexOfAny(['/', '(']);
            if (cut >= 0)
            {
                fsText = fsText[..cut];
            }

            if (!double.TryParse(fsText, NumberStyles.Float, CultureInfo.InvariantCulture, out fs) || fs <= 0)
            {
                throw new InvalidDataException($"{path}: sampling frequency '{recordLine[2]}' is not a positive number");
            }
        }

        var count = 0;
        if (recordLine.Length > 3 && !int.TryParse(recordLine[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out count))
        {
            throw new InvalidDataException($"{path}: sample count '{recordLine[3]}' is not an integer");
        }

        return new Header(recordLine[0], fs, count, signals, offsets, comments);
    }
}
