using EdgeHub.Parquet.Encoding;
using EdgeHub.Parquet.Format;

namespace EdgeHub.Parquet.Reading;

/// <summary>
/// Encodings other writers use in v2 files (Encodings.md): BYTE_STREAM_SPLIT, DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY and
/// DELTA_BYTE_ARRAY. Read-only; every count and width is checked against the page.
/// </summary>
internal static class ExtraDecoders
{
    public static void Decode(PageEncoding encoding, ReadOnlySpan<byte> data, int count, Array target, int offset, string context)
    {
        switch (encoding)
        {
            case PageEncoding.ByteStreamSplit:
                ByteStreamSplit(data, count, target, offset, context);
                return;
            case PageEncoding.DeltaBinaryPacked when target is long[] l:
                DeltaBinaryPacked(data, l.AsSpan(offset, count), context);
                return;
            case PageEncoding.DeltaBinaryPacked when target is int[] i:
                {
                    var tmp = new long[count];
                    DeltaBinaryPacked(data, tmp, context);
                    for (var k = 0; k < count; k++) i[offset + k] = (int)tmp[k];
                    return;
                }
            case PageEncoding.DeltaLengthByteArray when target is string?[] s:
                DeltaLengthByteArray(data, count, s, offset, context);
                return;
            case PageEncoding.DeltaByteArray when target is string?[] s:
                DeltaByteArray(data, count, s, offset, context);
                return;
            default:
                throw new ParquetFormatException($"{context}: encoding {encoding} is not supported for this column (PLAIN, RLE_DICTIONARY, PLAIN_DICTIONARY, RLE, BYTE_STREAM_SPLIT, DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY are)");
        }
    }

    /// <summary>BYTE_STREAM_SPLIT: K streams, stream k holds byte k of every value.</summary>
    private static void ByteStreamSplit(ReadOnlySpan<byte> data, int count, Array target, int offset, string context)
    {
        var width = PlainDecoder.MinValueSize(target);
        if (target is bool[] or string?[]) throw new ParquetFormatException($"{context}: BYTE_STREAM_SPLIT on a non-numeric column");
        if ((long)count * width > data.Length) throw new ParquetFormatException($"{context}: BYTE_STREAM_SPLIT page too short for {count} values");
        var tmp = new byte[count * width];
        for (var i = 0; i < count; i++)
            for (var k = 0; k < width; k++)
                tmp[i * width + k] = data[k * count + i];
        PlainDecoder.Decode(tmp, count, target, offset, context);
    }

    /// <summary>Decodes DELTA_BINARY_PACKED into <paramref name="output"/> (exactly its length); returns bytes consumed.</summary>
    public static int DeltaBinaryPacked(ReadOnlySpan<byte> data, Span<long> output, string context)
    {
        var pos = 0;
        var blockSize = RleBitPackedHybrid.ReadUleb128(data, ref pos, context);
        var miniblocks = RleBitPackedHybrid.ReadUleb128(data, ref pos, context);
        var total = RleBitPackedHybrid.ReadUleb128(data, ref pos, context);
        var first = UnZigZag(RleBitPackedHybrid.ReadUleb128(data, ref pos, context));
        if (blockSize == 0 || blockSize % 128 != 0 || miniblocks == 0 || blockSize % miniblocks != 0 || blockSize / miniblocks % 32 != 0 || blockSize > 1 << 20)
            throw new ParquetFormatException($"{context}: DELTA_BINARY_PACKED block size {blockSize} / {miniblocks} miniblocks is invalid");
        if (total < (ulong)output.Length)
            throw new ParquetFormatException($"{context}: DELTA_BINARY_PACKED holds {total} values, the page needs {output.Length}");
        if (output.Length == 0) return pos;
        var perMini = (int)(blockSize / miniblocks);
        output[0] = first;
        var produced = 1;
        var last = first;
        Span<byte> widths = stackalloc byte[(int)Math.Min(miniblocks, 1024)];
        if (miniblocks > 1024) throw new ParquetFormatException($"{context}: {miniblocks} miniblocks per block is too many");
        while (produced < output.Length)
        {
            var minDelta = UnZigZag(RleBitPackedHybrid.ReadUleb128(data, ref pos, context));
            if (data.Length - pos < (int)miniblocks) throw new ParquetFormatException($"{context}: DELTA_BINARY_PACKED block header truncated");
            data.Slice(pos, (int)miniblocks).CopyTo(widths);
            pos += (int)miniblocks;
            for (var m = 0; m < (int)miniblocks && produced < output.Length; m++)
            {
                int w = widths[m];
                if (w > 64) throw new ParquetFormatException($"{context}: miniblock bit width {w} above 64");
                var bytes = perMini * w / 8;
                if (data.Length - pos < bytes)
                {
                    // The last miniblock may be cut short after the final value.
                    var needed = ((long)(output.Length - produced) * w + 7) / 8;
                    if (data.Length - pos < needed) throw new ParquetFormatException($"{context}: DELTA_BINARY_PACKED miniblock truncated");
                    bytes = data.Length - pos;
                }
                var mini = data.Slice(pos, bytes);
                pos += bytes;
                for (var k = 0; k < perMini && produced < output.Length; k++)
                {
                    var delta = ReadBits(mini, (long)k * w, w);
                    last = unchecked(last + minDelta + (long)delta);
                    output[produced++] = last;
                }
            }
        }
        return pos;
    }

    private static ulong ReadBits(ReadOnlySpan<byte> src, long bitPos, int width)
    {
        ulong result = 0;
        var got = 0;
        while (got < width)
        {
            var idx = (int)(bitPos >> 3);
            var off = (int)(bitPos & 7);
            var take = Math.Min(8 - off, width - got);
            result |= (ulong)((src[idx] >> off) & ((1 << take) - 1)) << got;
            got += take;
            bitPos += take;
        }
        return result;
    }

    private static long UnZigZag(ulong v) => (long)(v >> 1) ^ -(long)(v & 1);

    private static void DeltaLengthByteArray(ReadOnlySpan<byte> data, int count, string?[] target, int offset, string context)
    {
        var lengths = new long[count];
        var pos = DeltaBinaryPacked(data, lengths, context);
        for (var k = 0; k < count; k++)
        {
            var len = lengths[k];
            if (len < 0 || len > data.Length - pos) throw new ParquetFormatException($"{context}: string length {len} runs past the page");
            target[offset + k] = System.Text.Encoding.UTF8.GetString(data.Slice(pos, (int)len));
            pos += (int)len;
        }
    }

    private static void DeltaByteArray(ReadOnlySpan<byte> data, int count, string?[] target, int offset, string context)
    {
        var prefixes = new long[count];
        var pos = DeltaBinaryPacked(data, prefixes, context);
        var suffixLengths = new long[count];
        pos += DeltaBinaryPacked(data[pos..], suffixLengths, context);
        var previous = Array.Empty<byte>();
        for (var k = 0; k < count; k++)
        {
            var p = prefixes[k];
            var s = suffixLengths[k];
            if (p < 0 || p > previous.Length) throw new ParquetFormatException($"{context}: prefix length {p} longer than the previous value");
            if (s < 0 || s > data.Length - pos) throw new ParquetFormatException($"{context}: suffix length {s} runs past the page");
            var value = new byte[p + s];
            previous.AsSpan(0, (int)p).CopyTo(value);
            data.Slice(pos, (int)s).CopyTo(value.AsSpan((int)p));
            pos += (int)s;
            target[offset + k] = System.Text.Encoding.UTF8.GetString(value);
            previous = value;
        }
    }
}
