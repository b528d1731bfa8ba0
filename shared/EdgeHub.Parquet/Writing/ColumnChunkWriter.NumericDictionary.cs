using System.Buffers;
using System.Runtime.InteropServices;
using EdgeHub.Parquet.Encoding;

namespace EdgeHub.Parquet.Writing;

/// <summary>
/// Dictionary encoding of INT32, INT64, FLOAT, DOUBLE and timestamp columns, as other writers do for low-cardinality
/// columns: a PLAIN dictionary page per chunk and RLE_DICTIONARY data pages (bit-packed indices). Values are buffered PLAIN
/// as before; each page is mapped through the dictionary when it is flushed, so a page that cannot use the dictionary is
/// still written PLAIN from the same bytes. The chunk falls back to PLAIN for its remaining pages (Encodings.md allows a
/// dictionary chunk to continue PLAIN) when the dictionary would pass <see cref="ParquetWriterOptions.DictionaryPageSizeLimit"/>
/// or when the first page shows the column is near-unique or would not shrink.
/// </summary>
internal sealed partial class ColumnChunkWriter
{
    /// <summary>Values of the first page looked at before deciding whether a near-unique column is worth a dictionary.</summary>
    private const int ProbeValues = 4096;

    private NumericDictionary<uint>? _dict32;
    private NumericDictionary<ulong>? _dict64;

    private bool IsNumericDictionaryType => _field.Type is ParquetType.Int32 or ParquetType.Int64 or ParquetType.Float
        or ParquetType.Double or ParquetType.TimestampMicros;

    private int NumericDictionaryCount => _elementSize == 4 ? _dict32?.Count ?? 0 : _dict64?.Count ?? 0;

    /// <summary>
    /// Maps the page's non-null values to dictionary indices (into <c>_indices</c>). Returns false, leaving the chunk PLAIN
    /// from this page on, when the dictionary does not pay off; the page's PLAIN values are untouched either way.
    /// </summary>
    private bool TryEncodeNumericPage()
    {
        var n = _pageNonNull;
        if (_indices.Length < n)
        {
            ArrayPool<int>.Shared.Return(_indices);
            _indices = ArrayPool<int>.Shared.Rent(n);
        }
        var maxCount = Math.Max(0, _options.DictionaryPageSizeLimit / _elementSize);
        var firstPage = !_wroteDictionary;
        var done = 0;
        if (firstPage && n >= 4 * ProbeValues)
        {
            // A near-unique column (timestamps, measurements at full precision) fills the dictionary without shrinking the
            // data: one small probe avoids hashing a whole page of it per row group.
            done = EncodeNumeric(0, ProbeValues, maxCount);
            if (done < ProbeValues || NumericDictionaryCount > ProbeValues * 7 / 8) return FallBackToPlain();
        }
        done += EncodeNumeric(done, n - done, maxCount);
        if (done < n) return FallBackToPlain();
        if (firstPage && n > 0)
        {
            // Keep the dictionary only when dictionary page + indices are clearly smaller than the PLAIN values.
            var count = NumericDictionaryCount;
            var encoded = (long)count * _elementSize + ((long)n * RleBitPackedHybrid.BitWidth(count - 1) + 7) / 8;
            if (encoded * 5 > (long)n * _elementSize * 4) return FallBackToPlain();
        }
        return true;
    }

    private int EncodeNumeric(int start, int count, int maxCount)
    {
        var indices = _indices.AsSpan(start, count);
        if (_elementSize == 4)
        {
            var keys = MemoryMarshal.Cast<byte, uint>(_values.WrittenSpan).Slice(start, count);
            return (_dict32 ??= new NumericDictionary<uint>()).Encode(keys, indices, maxCount);
        }
        var wide = MemoryMarshal.Cast<byte, ulong>(_values.WrittenSpan).Slice(start, count);
        return (_dict64 ??= new NumericDictionary<ulong>()).Encode(wide, indices, maxCount);
    }

    private bool FallBackToPlain()
    {
        _dictionaryMode = false;
        if (!_wroteDictionary) ClearNumericDictionary();
        return false;
    }

    /// <summary>Writes the bit width byte and the RLE/bit-packed indices of a dictionary page (Encodings.md RLE_DICTIONARY).</summary>
    private void WriteIndices(int dictionaryCount, int count)
    {
        var width = RleBitPackedHybrid.BitWidth(Math.Max(0, dictionaryCount - 1));
        _body.WriteByte((byte)width);
        RleBitPackedHybrid.Encode(_indices.AsSpan(0, count), width, _body);
    }

    /// <summary>The dictionary page body (PLAIN values) of this chunk and its value count.</summary>
    private ReadOnlySpan<byte> DictionaryPage(out int count)
    {
        if (_field.Type == ParquetType.String)
        {
            count = _dictCount;
            return _dictPlain.WrittenSpan;
        }
        count = NumericDictionaryCount;
        return _elementSize == 4 ? _dict32!.PlainBytes : _dict64!.PlainBytes;
    }

    private void ClearNumericDictionary()
    {
        _dict32?.Clear();
        _dict64?.Clear();
    }

    private void DisposeNumericDictionary()
    {
        _dict32?.Dispose();
        _dict64?.Dispose();
    }
}
