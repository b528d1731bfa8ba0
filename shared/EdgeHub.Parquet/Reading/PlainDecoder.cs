using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace EdgeHub.Parquet.Reading;

/// <summary>PLAIN decoding (Encodings.md) into typed arrays, bounds-checked against the page.</summary>
internal static class PlainDecoder
{
    /// <summary>Decodes <paramref name="count"/> values into <paramref name="target"/> at <paramref name="offset"/>; returns bytes used.</summary>
    public static int Decode(ReadOnlySpan<byte> data, int count, Array target, int offset, string context)
    {
        switch (target)
        {
            case float[] f: return Copy(data, count, f.AsSpan(offset, count), context);
            case double[] d: return Copy(data, count, d.AsSpan(offset, count), context);
            case int[] i: return Copy(data, count, i.AsSpan(offset, count), context);
            case long[] l: return Copy(data, count, l.AsSpan(offset, count), context);
            case bool[] b:
                {
                    var bytes = (count + 7) / 8;
                    if (bytes > data.Length) throw Short(context, count, "BOOLEAN", data.Length);
                    var dst = b.AsSpan(offset, count);
                    for (var k = 0; k < dst.Length; k++) dst[k] = ((data[k >> 3] >> (k & 7)) & 1) != 0;
                    return bytes;
                }
            case string?[] s:
                {
                    var pos = 0;
                    for (var k = 0; k < count; k++)
                    {
                        if (data.Length - pos < 4) throw Short(context, count, "BYTE_ARRAY", data.Length);
                        var len = BinaryPrimitives.ReadInt32LittleEndian(data[pos..]);
                        pos += 4;
                        if (len < 0 || len > data.Length - pos)
                            throw new ParquetFormatException($"{context}: string {k} declares {len} bytes but only {data.Length - pos} remain in the page");
                        s[offset + k] = System.Text.Encoding.UTF8.GetString(data.Slice(pos, len));
                        pos += len;
                    }
                    return pos;
                }
            default:
                throw new InvalidOperationException("unexpected column storage");
        }
    }

    private static int Copy<T>(ReadOnlySpan<byte> data, int count, Span<T> dst, string context) where T : unmanaged
    {
        var bytes = (long)count * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        if (bytes > data.Length) throw Short(context, count, typeof(T).Name, data.Length);
        MemoryMarshal.Cast<byte, T>(data[..(int)bytes]).CopyTo(dst);
        return (int)bytes;
    }

    private static ParquetFormatException Short(string context, int count, string type, int length) =>
        new($"{context}: page holds {length} bytes, too few for {count} PLAIN {type} values");

    /// <summary>Smallest PLAIN size of one value, to bound declared counts before allocating.</summary>
    public static int MinValueSize(Array target) => target switch
    {
        float[] or int[] => 4,
        double[] or long[] => 8,
        string?[] => 4,
        _ => 1,
    };

    /// <summary>Allocates a typed array like <paramref name="like"/>.</summary>
    public static Array NewLike(Array like, int count) => like switch
    {
        float[] => new float[count],
        double[] => new double[count],
        int[] => new int[count],
        long[] => new long[count],
        bool[] => new bool[count],
        _ => new string?[count],
    };

    /// <summary>target[offset + k] = dictionary[indices[k]], with every index checked.</summary>
    public static void Gather(Array dictionary, ReadOnlySpan<int> indices, Array target, int offset, string context)
    {
        switch (target)
        {
            case float[] f: Gather((float[])dictionary, indices, f.AsSpan(offset), context); break;
            case double[] d: Gather((double[])dictionary, indices, d.AsSpan(offset), context); break;
            case int[] i: Gather((int[])dictionary, indices, i.AsSpan(offset), context); break;
            case long[] l: Gather((long[])dictionary, indices, l.AsSpan(offset), context); break;
            case bool[] b: Gather((bool[])dictionary, indices, b.AsSpan(offset), context); break;
            case string?[] s: Gather((string?[])dictionary, indices, s.AsSpan(offset), context); break;
        }
    }

    private static void Gather<T>(T[] dictionary, ReadOnlySpan<int> indices, Span<T> dst, string context)
    {
        var n = (uint)dictionary.Length;
        for (var k = 0; k < indices.Length; k++)
        {
            var idx = (uint)indices[k];
            if (idx >= n) throw new ParquetFormatException($"{context}: dictionary index {indices[k]} is outside the dictionary of {n} values");
            dst[k] = dictionary[idx];
        }
    }

    /// <summary>Moves the <paramref name="nonNull"/> compacted values at offset out to their row positions (valid rows).</summary>
    public static void Expand(Array target, int offset, ReadOnlySpan<bool> valid, int nonNull)
    {
        switch (target)
        {
            case float[] f: Expand(f.AsSpan(offset, valid.Length), valid, nonNull); break;
            case double[] d: Expand(d.AsSpan(offset, valid.Length), valid, nonNull); break;
            case int[] i: Expand(i.AsSpan(offset, valid.Length), valid, nonNull); break;
            case long[] l: Expand(l.AsSpan(offset, valid.Length), valid, nonNull); break;
            case bool[] b: Expand(b.AsSpan(offset, valid.Length), valid, nonNull); break;
            case string?[] s: Expand(s.AsSpan(offset, valid.Length), valid, nonNull); break;
        }
    }

    private static void Expand<T>(Span<T> values, ReadOnlySpan<bool> valid, int nonNull)
    {
        var k = nonNull;
        for (var r = values.Length - 1; r >= 0; r--)
            values[r] = valid[r] ? values[--k] : default!;
    }
}
