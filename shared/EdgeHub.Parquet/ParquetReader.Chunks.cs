using EdgeHub.Parquet.Format;

namespace EdgeHub.Parquet;

/// <summary>How one column chunk is stored, as its footer metadata says (for diagnostics, benchmarks and tests).</summary>
/// <param name="Encodings">Encodings used by the chunk's pages, by their parquet.thrift names (PLAIN, RLE, RLE_DICTIONARY, …).</param>
/// <param name="Codec">Page codec by its parquet.thrift name (UNCOMPRESSED, SNAPPY, GZIP, BROTLI, …).</param>
/// <param name="CompressedSize">Bytes the chunk occupies in the file (page headers included).</param>
/// <param name="UncompressedSize">Bytes of the chunk's pages before compression (page headers included).</param>
public sealed record ColumnChunkInfo(IReadOnlyList<string> Encodings, string Codec, long CompressedSize, long UncompressedSize)
{
    /// <summary>True when at least some pages are dictionary-encoded (RLE_DICTIONARY or the older PLAIN_DICTIONARY).</summary>
    public bool DictionaryEncoded => Encodings.Contains("RLE_DICTIONARY") || Encodings.Contains("PLAIN_DICTIONARY");
}

public sealed partial class ParquetReader
{
    /// <summary>Footer metadata of the chunk of <paramref name="column"/> in row group <paramref name="rowGroup"/>.</summary>
    public ColumnChunkInfo GetColumnChunk(int rowGroup, string column)
    {
        var d = _columns[Schema.GetIndex(column)];
        var meta = Group(rowGroup).Columns[d.ChunkIndex];
        var encodings = new string[meta.Encodings.Count];
        for (var i = 0; i < encodings.Length; i++) encodings[i] = EncodingName(meta.Encodings[i]);
        return new ColumnChunkInfo(encodings, CodecName(meta.Codec), meta.TotalCompressedSize, meta.TotalUncompressedSize);
    }

    private static string EncodingName(PageEncoding e) => e switch
    {
        PageEncoding.Plain => "PLAIN",
        PageEncoding.PlainDictionary => "PLAIN_DICTIONARY",
        PageEncoding.Rle => "RLE",
        PageEncoding.BitPacked => "BIT_PACKED",
        PageEncoding.DeltaBinaryPacked => "DELTA_BINARY_PACKED",
        PageEncoding.DeltaLengthByteArray => "DELTA_LENGTH_BYTE_ARRAY",
        PageEncoding.DeltaByteArray => "DELTA_BYTE_ARRAY",
        PageEncoding.RleDictionary => "RLE_DICTIONARY",
        PageEncoding.ByteStreamSplit => "BYTE_STREAM_SPLIT",
        _ => "UNKNOWN(" + (int)e + ")",
    };

    private static string CodecName(Codec c) => c switch
    {
        Codec.Uncompressed => "UNCOMPRESSED",
        Codec.Snappy => "SNAPPY",
        Codec.Gzip => "GZIP",
        Codec.Lzo => "LZO",
        Codec.Brotli => "BROTLI",
        Codec.Lz4 => "LZ4",
        Codec.Zstd => "ZSTD",
        Codec.Lz4Raw => "LZ4_RAW",
        _ => "UNKNOWN(" + (int)c + ")",
    };
}
