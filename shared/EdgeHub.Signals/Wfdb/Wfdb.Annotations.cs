using System.Buffers.Binary;
using System.Text;

namespace EdgeHub.Signals;

public static partial class Wfdb
{
    // MIT annotation format (annot(5)): a stream of little-endian 16-bit words, A = word >> 10 (code), I = word & 0x3FF.
    private const int Skip = 59; // next 4 bytes: 32-bit interval, high 16-bit word first (PDP-11 order)
    private const int Num = 60;  // I = num field of the preceding annotation (persists)
    private const int Sub = 61;  // I = subtype of the preceding annotation
    private const int Chn = 62;  // I = channel of the preceding annotation (persists)
    private const int Aux = 63;  // I = byte count of the aux string that follows (padded to an even length)

    /// <summary>
    /// Reads an MIT-format annotation file (e.g. <c>101.atr</c>). <paramref name="sampleRate"/> fills
    /// <see cref="WfdbAnnotation.Seconds"/>; when null the rate is taken from the record's header next to the file if present.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is truncated or malformed.</exception>
    public static IReadOnlyList<WfdbAnnotation> ReadAnnotations(string path, int? sampleRate = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"WFDB annotation file '{path}' not found", path);
        }

        double fs = sampleRate ?? HeaderRateNextTo(path);
        return ParseAnnotations(File.ReadAllBytes(path), fs, path);
    }

    /// <summary>Parses MIT-format annotation bytes; <paramref name="sampleRate"/> may be NaN when unknown.</summary>
    public static IReadOnlyList<WfdbAnnotation> ParseAnnotations(ReadOnlySpan<byte> data, double sampleRate, string source = "annotations")
    {
        var result = new List<WfdbAnnotation>();
        long time = 0;
        int num = 0, chan = 0;
        var pos = 0;
        var have = false;
        WfdbAnnotation current = default;
        while (pos + 2 <= data.Length)
        {
            int word = BinaryPrimitives.ReadUInt16LittleEndian(data[pos..]);
            pos += 2;
            var a = word >> 10;
            var i = word & 0x3FF;
            if (a == 0 && i == 0)
            {
                break; // end of file marker
            }

            switch (a)
            {
                case Skip:
                    if (pos + 4 > data.Length)
                    {
                        throw new InvalidDataException($"{source}: SKIP at byte {pos - 2} is truncated");
                    }

                    var hi = BinaryPrimitives.ReadUInt16LittleEndian(data[pos..]);
                    var lo = BinaryPrimitives.ReadUInt16LittleEndian(data[(pos + 2)..]);
                    time += (int)(((uint)hi << 16) | lo);
                    pos += 4;
                    break;
                case Num:
                    num = i;
                    if (have)
                    {
                        current = current with { Number = num };
                    }

                    break;
                case Sub:
                    if (have)
                    {
                        current = current with { SubType = i };
                    }

                    break;
                case Chn:
                    chan = i;
                    if (have)
                    {
                        current = current with { Channel = chan };
                    }

                    break;
                case Aux:
                    if (pos + i > data.Length)
                    {
                        throw new InvalidDataException($"{source}: AUX of {i} bytes at byte {pos - 2} runs past the end of the file");
                    }

                    if (have)
                    {
                        current = current with { Aux = Encoding.Latin1.GetString(data.Slice(pos, i)).TrimEnd('\0') };
                    }

                    pos += (i + 1) & ~1;
                    break;
                default:
                    if (have)
                    {
                        result.Add(current);
                    }

                    time += i;
                    current = new WfdbAnnotation(time, a, 0, chan, num, null, double.IsNaN(sampleRate) ? double.NaN : time / sampleRate);
                    have = true;
                    break;
            }
        }

        if (have)
        {
            result.Add(current);
        }

        return result;
    }

    private static double HeaderRateNextTo(string annotationPath)
    {
        var dot = annotationPath.LastIndexOf('.');
        if (dot <= 0)
        {
            return double.NaN;
        }

        var header = annotationPath[..dot] + ".hea";
        if (!File.Exists(header))
        {
            return double.NaN;
        }

        try
        {
            return ParseHeader(header, File.ReadAllLines(header)).SampleRate;
        }
        catch (InvalidDataException)
        {
            return double.NaN;
        }
    }
}
