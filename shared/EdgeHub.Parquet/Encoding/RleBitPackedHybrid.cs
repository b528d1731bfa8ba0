using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EdgeHub.Parquet.Encoding;

/// <summary>
/// The RLE / bit-packing hybrid of parquet-format Encodings.md, used for definition levels and dictionary indices:
/// <c>run := rle-run | bit-packed-run</c>, header ULEB128 (<c>count &lt;&lt; 1</c> for RLE, <c>groups &lt;&lt; 1 | 1</c> for
/// bit-packed groups of 8 values packed LSB first). The encoder uses RLE for runs of 8 or more equal values.
/// </summary>
internal static class RleBitPackedHybrid
{
    public static void Encode(ReadOnlySpan<int> values, int bitWidth, ByteBuffer output)
    {
        var n = values.Length;
        var i = 0;
        while (i < n)
        {
            var v = values[i];
            var j = i + 1;
            while (j < n && values[j] == v) j++;
            if (j - i >= 8)
            {
                WriteRleRun(output, j - i, v, bitWidth);
                i = j;
                continue;
            }
            var end = i;
            do end += 8;
            while (end < n && !RunOfEightAt(values, end));
            var stop = Math.Min(end, n);
            var groups = (stop - i + 7) / 8;
            output.WriteUleb128(((ulong)groups << 1) | 1);
            Pack(values[i..stop], bitWidth, groups, output);
            i = stop;
        }
    }

    /// <summary>Bit width needed for values 0..maxValue.</summary>
    public static int BitWidth(int maxValue) => maxValue == 0 ? 0 : 32 - int.LeadingZeroCount(maxValue);

    private static bool RunOfEightAt(ReadOnlySpan<int> values, int p)
    {
        if (p + 8 > values.Length) return false;
        var v = values[p];
        for (var k = 1; k < 8; k++)
            if (values[p + k] != v) return false;
        return true;
    }

    private static void WriteRleRun(ByteBuffer output, int count, int value, int bitWidth)
    {
        output.WriteUleb128((ulong)count << 1);
        var bytes = (bitWidth + 7) / 8;
        for (var b = 0; b < bytes; b++) output.WriteByte((byte)(value >> (8 * b)));
    }

    /// <summary>Packs groups of 8 values LSB first; 64 bits are stored at a time (whole groups end on a byte boundary).</summary>
    private static void Pack(ReadOnlySpan<int> values, int bitWidth, int groups, ByteBuffer output)
    {
        var total = groups * bitWidth;
        var dst = output.GetSpan(total + 8);
        ulong acc = 0;
        var bits = 0;
        var o = 0;
        var count = groups * 8;
        for (var k = 0; k < count; k++)
        {
            var v = k < values.Length ? (ulong)(uint)values[k] : 0;
            acc |= v << bits;
            bits += bitWidth;
            if (bits >= 64)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(dst[o..], acc);
                o += 8;
                bits -= 64;
                // The high bits of v that did not fit (none when it ended exactly at bit 64).
                acc = bits == 0 ? 0 : v >> (bitWidth - bits);
            }
        }
        // What is left is less than 64 bits and ends on a byte boundary (total is whole bytes).
        BinaryPrimitives.WriteUInt64LittleEndian(dst[o..], acc);
        output.Advance(total);
    }

    /// <summary>
    /// Decodes exactly <paramref name="output"/>.Length values; returns bytes consumed. Throws
    /// <see cref="ParquetFormatException"/> when the data ends early or a value exceeds the bit width.
    /// </summary>
    public static int Decode(ReadOnlySpan<byte> data, int bitWidth, Span<int> output, string context)
    {
        if (bitWidth is < 0 or > 32) throw new ParquetFormatException($"{context}: bit width {bitWidth} is outside 0..32");
        var pos = 0;
        var produced = 0;
        var valueBytes = (bitWidth + 7) / 8;
        while (produced < output.Length)
        {
            var header = ReadUleb128(data, ref pos, context);
            if ((header & 1) == 0)
            {
                var count = header >> 1;
                if (count == 0) throw new ParquetFormatException($"{context}: RLE run of length 0");
                if (valueBytes > data.Length - pos) throw new ParquetFormatException($"{context}: RLE run value truncated");
                var v = 0;
                for (var b = 0; b < valueBytes; b++) v |= data[pos + b] << (8 * b);
                pos += valueBytes;
                var take = (int)Math.Min(count, (ulong)(output.Length - produced));
                output.Slice(produced, take).Fill(v);
                produced += take;
            }
            else
            {
                var groups = header >> 1;
                if (groups == 0) throw new ParquetFormatException($"{context}: bit-packed run of 0 groups");
                var byteLen = groups * (ulong)bitWidth;
                if (byteLen > (ulong)(data.Length - pos))
                {
                    // Writers may end the last run early when it is only partly used; accept if the values we need are present.
                    var needed = (ulong)(output.Length - produced);
                    if ((needed * (ulong)bitWidth + 7) / 8 > (ulong)(data.Length - pos))
                        throw new ParquetFormatException($"{context}: bit-packed run of {groups} groups runs past the end of the data");
                    byteLen = (ulong)(data.Length - pos);
                }
                var take = (int)Math.Min(groups * 8, (ulong)(output.Length - produced));
                Unpack(data.Slice(pos, (int)byteLen), bitWidth, output.Slice(produced, take));
                pos += (int)byteLen;
                produced += take;
            }
        }
        return pos;
    }

    private static void Unpack(ReadOnlySpan<byte> src, int bitWidth, Span<int> dst)
    {
        if (bitWidth == 0)
        {
            dst.Clear();
            return;
        }
        var mask = bitWidth == 32 ? ulong.MaxValue >> 32 : (1UL << bitWidth) - 1;
        // Fast part: each value is read with one unaligned 64-bit load at its byte, shifted by its bit offset (at most
        // 7 + 32 bits are needed), while 8 bytes remain readable.
        var k = 0;
        var fast = src.Length >= 8 ? Math.Min(dst.Length, (int)Math.Min(int.MaxValue, ((long)(src.Length - 8) * 8) / bitWidth + 1)) : 0;
        ref var s0 = ref MemoryMarshal.GetReference(src);
        long bit = 0;
        for (; k < fast; k++, bit += bitWidth)
        {
            var word = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref s0, (nint)(bit >> 3)));
            dst[k] = (int)((word >> (int)(bit & 7)) & mask);
        }
        if (k == dst.Length) return;
        // Tail: byte at a time.
        ulong acc = 0;
        var bits = 0;
        var i = (int)(bit >> 3);
        var skip = (int)(bit & 7);
        if (skip != 0)
        {
            acc = (ulong)src[i++] >> skip;
            bits = 8 - skip;
        }
        for (; k < dst.Length; k++)
        {
            while (bits < bitWidth)
            {
                acc |= (ulong)src[i++] << bits;
                bits += 8;
            }
            dst[k] = (int)(acc & mask);
            acc >>= bitWidth;
            bits -= bitWidth;
        }
    }

    public static ulong ReadUleb128(ReadOnlySpan<byte> data, ref int pos, string context)
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (pos >= data.Length) throw new ParquetFormatException($"{context}: run header truncated");
            var b = data[pos++];
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return result;
        }
        throw new ParquetFormatException($"{context}: run header varint too long");
    }
}
