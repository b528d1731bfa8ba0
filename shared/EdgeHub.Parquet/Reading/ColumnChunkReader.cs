using System.Buffers;
using System.Buffers.Binary;
using EdgeHub.Parquet.Encoding;
using EdgeHub.Parquet.Format;
using EdgeHub.Parquet.Thrift;

namespace EdgeHub.Parquet.Reading;

/// <summary>
/// Decodes one column chunk (dictionary page, v1 and v2 data pages) into a batch column. Every size read from the file is
/// checked against the chunk and a page cap before anything is allocated from it.
/// </summary>
internal sealed class ColumnChunkReader : IDisposable
{
    /// <summary>Largest uncompressed page we accept.</summary>
    public const int MaxPageSize = 256 << 20;
    private byte[] _chunkScratch = [];
    private byte[] _pageScratch = [];
    private int[] _ints = [];

    public void Read(FileSource source, long dataEnd, ColumnMetaData meta, ColumnDescriptor column, int numRows,
        Array target, bool[]? valid, string context)
    {
        var start = meta.DataPageOffset;
        if (meta.DictionaryPageOffset is > 0 and var dict && dict < start) start = dict;
        if (start < 4 || meta.TotalCompressedSize < 0 || start > dataEnd || meta.TotalCompressedSize > dataEnd - start)
            throw new ParquetFormatException($"{context}: chunk at {start} of {meta.TotalCompressedSize} bytes lies outside the data region (4..{dataEnd})");
        if (meta.Type != column.Physical)
            throw new ParquetFormatException($"{context}: chunk type {meta.Type} differs from schema type {column.Physical}");
        if (meta.Codec is not (Codec.Uncompressed or Codec.Snappy or Codec.Gzip or Codec.Brotli))
            throw new ParquetFormatException($"{context}: codec {meta.Codec} is not supported (UNCOMPRESSED, SNAPPY, GZIP, BROTLI are); rewrite the file with one of these");
        var chunk = source.Read(start, (int)meta.TotalCompressedSize, ref _chunkScratch);
        var pageCap = (int)Math.Min(MaxPageSize, Math.Max(meta.TotalUncompressedSize, 0) + 64);

        Array? dictionary = null;
        var rows = 0;
        var pos = 0;
        while (rows < numRows)
        {
            if (pos >= chunk.Length)
                throw new ParquetFormatException($"{context}: chunk ends after {rows} of {numRows} values");
            var r = new ThriftCompactReader(chunk[pos..], context + " page header");
            var h = PageHeader.Read(ref r);
            pos += r.Position;
            if (h.CompressedSize > chunk.Length - pos)
                throw new ParquetFormatException($"{context}: page of {h.CompressedSize} bytes runs past the end of the chunk ({chunk.Length - pos} left)");
            if (h.UncompressedSize > pageCap)
                throw new ParquetFormatException($"{context}: page declares {h.UncompressedSize} uncompressed bytes, more than the limit {pageCap}");
            var body = chunk.Slice(pos, h.CompressedSize);
            pos += h.CompressedSize;
            switch (h.Type)
            {
                case PageType.DictionaryPage:
                    {
                        if (!h.HasBody) throw new ParquetFormatException($"{context}: dictionary page without dictionary_page_header");
                        var data = Decompress(meta.Codec, body, h.UncompressedSize, context);
                        if (h.NumValues < 0 || (long)h.NumValues * PlainDecoder.MinValueSize(target) > data.Length)
                            throw new ParquetFormatException($"{context}: dictionary declares {h.NumValues} values in {data.Length} bytes");
                        dictionary = PlainDecoder.NewLike(target, h.NumValues);
                        PlainDecoder.Decode(data, h.NumValues, dictionary, 0, context + " dictionary");
                        break;
                    }
                case PageType.DataPage or PageType.DataPageV2:
                    {
                        if (!h.HasBody) throw new ParquetFormatException($"{context}: data page without its data_page_header");
                        if (h.NumValues < 0 || h.NumValues > numRows - rows)
                            throw new ParquetFormatException($"{context}: page declares {h.NumValues} values but only {numRows - rows} rows remain in the row group");
                        DecodeDataPage(meta.Codec, h, body, column, target, valid, rows, dictionary, context);
                        rows += h.NumValues;
                        break;
                    }
                default:
                    break; // index pages and unknown page types carry nothing we need
            }
        }
        if (column.TimestampUnit == TimeUnit.Millis) Scale((long[])target, numRows, 1000, multiply: true);
        else if (column.TimestampUnit == TimeUnit.Nanos) Scale((long[])target, numRows, 1000, multiply: false);
    }

    private static void Scale(long[] values, int n, long factor, bool multiply)
    {
        for (var i = 0; i < n; i++) values[i] = multiply ? values[i] * factor : Math.DivRem(values[i], factor) is var (q, rem) && rem < 0 ? q - 1 : q;
    }

    private ReadOnlySpan<byte> Decompress(Codec codec, ReadOnlySpan<byte> body, int size, string context)
    {
        if (codec == Codec.Uncompressed)
        {
            if (body.Length != size) throw new ParquetFormatException($"{context}: uncompressed page is {body.Length} bytes but its header says {size}");
            return body;
        }
        Rent(ref _pageScratch, size);
        var dst = _pageScratch.AsSpan(0, size);
        PageCodecs.Decompress(codec, body, dst, context);
        return dst;
    }

    private void DecodeDataPage(Codec codec, PageHeader h, ReadOnlySpan<byte> body, ColumnDescriptor column, Array target,
        bool[]? valid, int offset, Array? dictionary, string context)
    {
        var n = h.NumValues;
        ReadOnlySpan<byte> levels;
        ReadOnlySpan<byte> values;
        if (h.Type == PageType.DataPageV2)
        {
            // v2: repetition then definition levels, never compressed, lengths in the header; then the (maybe compressed) values.
            var levelBytes = (long)h.RepetitionLevelsByteLength + h.DefinitionLevelsByteLength;
            if (h.RepetitionLevelsByteLength < 0 || h.DefinitionLevelsByteLength < 0 || levelBytes > body.Length || levelBytes > h.UncompressedSize)
                throw new ParquetFormatException($"{context}: v2 page level lengths ({h.RepetitionLevelsByteLength}+{h.DefinitionLevelsByteLength}) exceed the page");
            if (h.RepetitionLevelsByteLength != 0) throw new ParquetFormatException($"{context}: repetition levels in a non-repeated column");
            levels = body.Slice(0, h.DefinitionLevelsByteLength);
            var rest = body[(int)levelBytes..];
            values = h.IsCompressed ? Decompress(codec, rest, h.UncompressedSize - (int)levelBytes, context) : rest;
        }
        else
        {
            var data = Decompress(codec, body, h.UncompressedSize, context);
            if (column.Field.Nullable)
            {
                if (h.DefinitionLevelEncoding != PageEncoding.Rle)
                    throw new ParquetFormatException($"{context}: definition levels encoded as {h.DefinitionLevelEncoding}; only RLE is supported");
                if (data.Length < 4) throw new ParquetFormatException($"{context}: page too short for its definition levels");
                var len = BinaryPrimitives.ReadInt32LittleEndian(data);
                if (len < 0 || len > data.Length - 4) throw new ParquetFormatException($"{context}: definition levels length {len} exceeds the page");
                levels = data.Slice(4, len);
                values = data[(4 + len)..];
            }
            else
            {
                levels = default;
                values = data;
            }
        }

        var nonNull = n;
        if (column.Field.Nullable)
        {
            Rent(ref _ints, n);
            var lv = _ints.AsSpan(0, n);
            var maxDef = column.MaxDefinitionLevel;
            RleBitPackedHybrid.Decode(levels, RleBitPackedHybrid.BitWidth(maxDef), lv, context + " definition levels");
            var v = valid.AsSpan(offset, n);
            if (lv.IndexOfAnyExcept(maxDef) < 0)
            {
                // Common case (a page without nulls): one vectorised scan instead of a branch per value.
                v.Fill(true);
            }
            else
            {
                nonNull = 0;
                for (var k = 0; k < n; k++)
                {
                    if ((uint)lv[k] > (uint)maxDef) throw new ParquetFormatException($"{context}: definition level {lv[k]} above the maximum {maxDef}");
                    var ok = lv[k] == maxDef;
                    v[k] = ok;
                    if (ok) nonNull++;
                }
            }
        }
        DecodeValues(h.Encoding, values, nonNull, target, offset, dictionary, context);
        if (column.Field.Nullable && nonNull != n) PlainDecoder.Expand(target, offset, valid.AsSpan(offset, n), nonNull);
    }

    private void DecodeValues(PageEncoding encoding, ReadOnlySpan<byte> data, int count, Array target, int offset, Array? dictionary, string context)
    {
        switch (encoding)
        {
            case PageEncoding.Plain:
                PlainDecoder.Decode(data, count, target, offset, context);
                return;
            case PageEncoding.RleDictionary or PageEncoding.PlainDictionary:
                {
                    if (dictionary is null) throw new ParquetFormatException($"{context}: dictionary-encoded page but the chunk has no dictionary page before it");
                    if (count == 0) return;
                    if (data.Length < 1) throw new ParquetFormatException($"{context}: dictionary page data lacks its bit width");
                    Rent(ref _ints, count);
                    var idx = _ints.AsSpan(0, count);
                    RleBitPackedHybrid.Decode(data[1..], data[0], idx, context + " dictionary indices");
                    PlainDecoder.Gather(dictionary, idx, target, offset, context);
                    return;
                }
            case PageEncoding.Rle when target is bool[] b:
                {
                    if (data.Length < 4) throw new ParquetFormatException($"{context}: RLE boolean page lacks its length");
                    var len = BinaryPrimitives.ReadInt32LittleEndian(data);
                    if (len < 0 || len > data.Length - 4) throw new ParquetFormatException($"{context}: RLE boolean length {len} exceeds the page");
                    Rent(ref _ints, count);
                    var bits = _ints.AsSpan(0, count);
                    RleBitPackedHybrid.Decode(data.Slice(4, len), 1, bits, context);
                    for (var k = 0; k < count; k++) b[offset + k] = bits[k] != 0;
                    return;
                }
            default:
                ExtraDecoders.Decode(encoding, data, count, target, offset, context);
                return;
        }
    }

    private static void Rent<T>(ref T[] buffer, int size)
    {
        if (buffer.Length >= size) return;
        if (buffer.Length > 0) ArrayPool<T>.Shared.Return(buffer);
        buffer = ArrayPool<T>.Shared.Rent(size);
    }

    public void Dispose()
    {
        if (_chunkScratch.Length > 0) ArrayPool<byte>.Shared.Return(_chunkScratch);
        if (_pageScratch.Length > 0) ArrayPool<byte>.Shared.Return(_pageScratch);
        if (_ints.Length > 0) ArrayPool<int>.Shared.Return(_ints);
        _chunkScratch = _pageScratch = [];
        _ints = [];
    }
}
