using System.Buffers;
using System.Runtime.InteropServices;
using EdgeHub.Parquet.Encoding;
using EdgeHub.Parquet.Format;
using EdgeHub.Parquet.Thrift;

namespace EdgeHub.Parquet.Writing;

/// <summary>
/// Buffers one column of the current row group as encoded (and compressed) pages. Boolean columns use PLAIN pages; strings
/// and numeric columns use a dictionary (RLE_DICTIONARY data pages) and fall back to PLAIN pages when the dictionary grows
/// past its limit or does not pay off (numeric columns: see ColumnChunkWriter.NumericDictionary.cs). Definition levels
/// (max level 1) use the RLE/bit-packed hybrid with the v1 four-byte length prefix.
/// </summary>
internal sealed partial class ColumnChunkWriter : IDisposable
{
    private readonly ParquetField _field;
    private readonly ParquetWriterOptions _options;
    private readonly Codec _codec;
    private readonly int _elementSize;
    private readonly ByteBuffer _pages = new(1 << 16);
    private readonly ByteBuffer _values = new(1 << 16);
    private readonly ByteBuffer _body = new(1 << 16);
    private readonly ByteBuffer _header = new(64);
    private readonly ThriftCompactWriter _headerWriter;
    private int[] _levels = ArrayPool<int>.Shared.Rent(1024);
    private int _pageValues;
    private int _pageNonNull;
    private long _chunkValues;
    private long _uncompressed;
    private long _nullCount;
    private bool _wrotePlain;
    private bool _wroteDictionary;

    public ColumnChunkWriter(ParquetField field, ParquetWriterOptions options)
    {
        _field = field;
        _options = options;
        _codec = PageCodecs.ToCodec(options.Compression);
        _headerWriter = new ThriftCompactWriter(_header);
        _elementSize = field.Type switch
        {
            ParquetType.Int32 or ParquetType.Float => 4,
            ParquetType.Int64 or ParquetType.Double or ParquetType.TimestampMicros => 8,
            ParquetType.Boolean => 1,
            _ => 0,
        };
        ResetStats();
    }

    /// <summary>Appends rows [start, start+count) of one batch column.</summary>
    public void Append(ColumnBatch batch, int column, int start, int count)
    {
        var valid = batch.RawValid(column);
        var raw = batch.RawValues(column);
        if (_field.Type == ParquetType.String)
        {
            AppendStrings((string?[])raw, valid, start, count);
            return;
        }
        var rowsPerPage = Math.Max(1, _options.PageSize / _elementSize);
        while (count > 0)
        {
            var take = Math.Min(count, rowsPerPage - _pageValues);
            if (take <= 0)
            {
                FlushPage();
                continue;
            }
            switch (raw)
            {
                case float[] f: AppendNumeric<float>(f, valid, start, take); break;
                case double[] d: AppendNumeric<double>(d, valid, start, take); break;
                case int[] i: AppendNumeric<int>(i, valid, start, take); break;
                case long[] l: AppendNumeric<long>(l, valid, start, take); break;
                case bool[] b: AppendBooleans(b, valid, start, take); break;
            }
            start += take;
            count -= take;
            if (_pageValues >= rowsPerPage) FlushPage();
        }
    }

    private void AppendNumeric<T>(T[] values, bool[]? valid, int start, int count) where T : unmanaged, System.Numerics.INumber<T>
    {
        // No nulls in this stretch (checked with one vectorised scan): copy the values in bulk.
        if (valid is null || !MemoryMarshal.AsBytes(valid.AsSpan(start, count)).Contains((byte)0))
        {
            var span = new ReadOnlySpan<T>(values, start, count);
            _values.WriteValues(span);
            UpdateStats(span);
            _pageNonNull += count;
            if (valid is not null)
            {
                EnsureLevels(_pageValues + count);
                _levels.AsSpan(_pageValues, count).Fill(1);
            }
        }
        else
        {
            EnsureLevels(_pageValues + count);
            var dst = MemoryMarshal.Cast<byte, T>(_values.GetSpan(count * _elementSize));
            var n = 0;
            for (var r = 0; r < count; r++)
            {
                var ok = valid[start + r];
                _levels[_pageValues + r] = ok ? 1 : 0;
                if (ok) dst[n++] = values[start + r];
            }
            UpdateStats<T>(dst[..n]);
            _values.Advance(n * _elementSize);
            _pageNonNull += n;
            _nullCount += count - n;
        }
        _pageValues += count;
    }

    private void AppendBooleans(bool[] values, bool[]? valid, int start, int count)
    {
        EnsureLevels(_pageValues + count);
        var dst = _values.GetSpan(count);
        var n = 0;
        for (var r = 0; r < count; r++)
        {
            if (valid is not null)
            {
                var ok = valid[start + r];
                _levels[_pageValues + r] = ok ? 1 : 0;
                if (!ok) continue;
            }
            var v = values[start + r];
            dst[n++] = v ? (byte)1 : (byte)0;
            _boolSeen |= v ? 2 : 1;
        }
        _values.Advance(n);
        _pageNonNull += n;
        _nullCount += count - n;
        _pageValues += count;
    }

    private void EnsureLevels(int needed)
    {
        if (_levels.Length >= needed) return;
        var next = ArrayPool<int>.Shared.Rent(Math.Max(needed, _levels.Length * 2));
        _levels.AsSpan(0, _pageValues).CopyTo(next);
        ArrayPool<int>.Shared.Return(_levels);
        _levels = next;
    }

    /// <summary>Encodes the pending values as one data page appended to the chunk.</summary>
    private void FlushPage()
    {
        if (_pageValues == 0) return;
        _body.Clear();
        var v2 = _options.DataPageVersion == 2;
        var levelBytes = 0;
        if (_field.Nullable)
        {
            // v1: 4-byte length prefix, levels compressed with the values; v2: no prefix, length in the header, never compressed.
            var lenPos = _body.Length;
            if (!v2) _body.WriteInt32LE(0);
            RleBitPackedHybrid.Encode(_levels.AsSpan(0, _pageValues), 1, _body);
            if (!v2) System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(_body.WrittenSpan[lenPos..], _body.Length - lenPos - 4);
            levelBytes = _body.Length;
        }
        PageEncoding encoding;
        if (_field.Type == ParquetType.String && _dictionaryMode)
        {
            encoding = PageEncoding.RleDictionary;
            WriteIndices(_dictCount, _pageNonNull);
            _wroteDictionary = true;
        }
        else if (_dictionaryMode && _pageNonNull > 0 && TryEncodeNumericPage())
        {
            encoding = PageEncoding.RleDictionary;
            WriteIndices(NumericDictionaryCount, _pageNonNull);
            _wroteDictionary = true;
        }
        else if (_field.Type == ParquetType.Boolean)
        {
            encoding = PageEncoding.Plain;
            PackBooleans(_values.WrittenSpan, _body);
            _wrotePlain = true;
        }
        else
        {
            encoding = PageEncoding.Plain;
            _body.Write(_values.WrittenSpan);
            _wrotePlain = true;
        }
        if (v2) WritePageV2(encoding, _pageValues, _pageValues - _pageNonNull, levelBytes, _body.WrittenSpan, _pages);
        else WritePage(PageType.DataPage, encoding, _pageValues, _body.WrittenSpan, _pages);
        _chunkValues += _pageValues;
        _pageValues = 0;
        _pageNonNull = 0;
        _values.Clear();
    }

    private static void PackBooleans(ReadOnlySpan<byte> bits, ByteBuffer output)
    {
        var bytes = (bits.Length + 7) / 8;
        var dst = output.GetSpan(bytes);
        for (var b = 0; b < bytes; b++)
        {
            var v = 0;
            var end = Math.Min(8, bits.Length - b * 8);
            for (var k = 0; k < end; k++) v |= bits[b * 8 + k] << k;
            dst[b] = (byte)v;
        }
        output.Advance(bytes);
    }

    /// <summary>Writes a page header and the compressed body to <paramref name="target"/>.</summary>
    private void WritePage(PageType type, PageEncoding encoding, int numValues, ReadOnlySpan<byte> body, ByteBuffer target)
    {
        var header = new PageHeader { Type = type, Encoding = encoding, NumValues = numValues, UncompressedSize = body.Length };
        _header.Clear();
        if (_codec == Codec.Uncompressed)
        {
            header.CompressedSize = body.Length;
            header.Write(_headerWriter);
            target.Write(_header.WrittenSpan);
            target.Write(body);
        }
        else
        {
            // Compress straight after a gap for the header, then move the header in front (headers are tiny, bodies large).
            _compressed ??= new ByteBuffer(body.Length);
            _compressed.Clear();
            header.CompressedSize = PageCodecs.Compress(_codec, body, _compressed, _options.BrotliQuality);
            header.Write(_headerWriter);
            target.Write(_header.WrittenSpan);
            target.Write(_compressed.WrittenSpan);
        }
        _uncompressed += _header.Length + body.Length;
    }

    private ByteBuffer? _compressed;

    /// <summary>DATA_PAGE_V2: uncompressed levels, then the values compressed on their own.</summary>
    private void WritePageV2(PageEncoding encoding, int numValues, int numNulls, int levelBytes, ReadOnlySpan<byte> body, ByteBuffer target)
    {
        var values = body[levelBytes..];
        _compressed ??= new ByteBuffer(body.Length);
        _compressed.Clear();
        var compressed = PageCodecs.Compress(_codec, values, _compressed, _options.BrotliQuality);
        var header = new PageHeader
        {
            Type = PageType.DataPageV2, Encoding = encoding, NumValues = numValues, NumNulls = numNulls, NumRows = numValues,
            DefinitionLevelsByteLength = levelBytes, IsCompressed = _codec != Codec.Uncompressed,
            UncompressedSize = body.Length, CompressedSize = levelBytes + compressed,
        };
        _header.Clear();
        header.Write(_headerWriter);
        target.Write(_header.WrittenSpan);
        target.Write(body[..levelBytes]);
        target.Write(_compressed.WrittenSpan);
        _uncompressed += _header.Length + body.Length;
    }

    public void Dispose()
    {
        _pages.Dispose();
        _values.Dispose();
        _body.Dispose();
        _header.Dispose();
        _compressed?.Dispose();
        _dictPlain.Dispose();
        DisposeNumericDictionary();
        if (_levels.Length > 0) ArrayPool<int>.Shared.Return(_levels);
        if (_indices.Length > 0) ArrayPool<int>.Shared.Return(_indices);
        _levels = [];
        _indices = [];
    }
}
