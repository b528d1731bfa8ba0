using EdgeHub.Parquet.Format;

namespace EdgeHub.Parquet.Reading;

/// <summary>Encodings other writers use in v2 files (BYTE_STREAM_SPLIT, DELTA_*).</summary>
internal static class ExtraDecoders
{
    public static void Decode(PageEncoding encoding, ReadOnlySpan<byte> data, int count, Array target, int offset, string context)
    {
        switch (encoding)
        {
            case PageEncoding.ByteStreamSplit:
                ByteStreamSplit(data, count, target, offset, context);
                return;
            default:
                throw new ParquetFormatException($"{context}: encoding {encoding} is not supported (PLAIN, RLE_DICTIONARY, PLAIN_DICTIONARY, RLE, BYTE_STREAM_SPLIT are)");
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
}
