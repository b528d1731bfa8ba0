using System.Buffers.Binary;
using System.Runtime.InteropServices;
using EdgeHub.Parquet.Encoding;
using EdgeHub.Parquet.Format;

namespace EdgeHub.Parquet.Writing;

internal sealed partial class ColumnChunkWriter
{
    private float _minF, _maxF;
    private double _minD, _maxD;
    private int _minI, _maxI;
    private long _minL, _maxL;
    private int _boolSeen;

    private void UpdateStats<T>(ReadOnlySpan<T> span) where T : unmanaged, System.Numerics.INumber<T>
    {
        if (typeof(T) == typeof(float)) MinMax.Of(MemoryMarshal.Cast<T, float>(span), ref _minF, ref _maxF);
        else if (typeof(T) == typeof(double)) MinMax.Of(MemoryMarshal.Cast<T, double>(span), ref _minD, ref _maxD);
        else if (typeof(T) == typeof(int)) MinMax.Of(MemoryMarshal.Cast<T, int>(span), ref _minI, ref _maxI);
        else if (typeof(T) == typeof(long)) MinMax.Of(MemoryMarshal.Cast<T, long>(span), ref _minL, ref _maxL);
    }

    private void ResetStats()
    {
        _minF = float.PositiveInfinity;
        _maxF = float.NegativeInfinity;
        _minD = double.PositiveInfinity;
        _maxD = double.NegativeInfinity;
        _minI = int.MaxValue;
        _maxI = int.MinValue;
        _minL = long.MaxValue;
        _maxL = long.MinValue;
        _boolSeen = 0;
        _nullCount = 0;
        _dictionaryMode = _options.UseDictionary && _field.Type != ParquetType.Boolean;
        ClearNumericDictionary();
        ResetStrings();
    }

    /// <summary>Writes the chunk (dictionary page first) at <paramref name="offset"/> and returns its metadata; resets for the next row group.</summary>
    public ColumnMetaData Flush(Stream output, long offset)
    {
        FlushPage();
        var meta = new ColumnMetaData
        {
            Type = PhysicalTypeOf(_field.Type),
            Codec = _codec,
            NumValues = _chunkValues,
            Path = [_field.Name],
            Statistics = BuildStatistics(),
        };
        long written = 0;
        if (_wroteDictionary)
        {
            meta.DictionaryPageOffset = offset;
            _body.Clear();
            var plain = DictionaryPage(out var count);
            WritePage(PageType.DictionaryPage, PageEncoding.Plain, count, plain, _body);
            output.Write(_body.WrittenSpan);
            written += _body.Length;
        }
        meta.DataPageOffset = offset + written;
        output.Write(_pages.WrittenSpan);
        written += _pages.Length;
        meta.TotalCompressedSize = written;
        meta.TotalUncompressedSize = _uncompressed;
        if (_wrotePlain || _wroteDictionary) meta.Encodings.Add(PageEncoding.Plain);
        if (_field.Nullable) meta.Encodings.Add(PageEncoding.Rle);
        if (_wroteDictionary) meta.Encodings.Add(PageEncoding.RleDictionary);
        if (meta.Encodings.Count == 0) meta.Encodings.Add(PageEncoding.Plain);

        _pages.Clear();
        _chunkValues = 0;
        _uncompressed = 0;
        _wrotePlain = false;
        _wroteDictionary = false;
        ResetStats();
        return meta;
    }

    private StatisticsData BuildStatistics()
    {
        var s = new StatisticsData { NullCount = _nullCount };
        switch (_field.Type)
        {
            case ParquetType.Float when _minF <= _maxF:
                // Zero rule (parquet.thrift ColumnOrder): a min of +0 is written as -0, a max of -0 as +0.
                s.MinValue = Bytes(_minF == 0 ? -0f : _minF);
                s.MaxValue = Bytes(_maxF == 0 ? 0f : _maxF);
                break;
            case ParquetType.Double when _minD <= _maxD:
                s.MinValue = Bytes(_minD == 0 ? -0d : _minD);
                s.MaxValue = Bytes(_maxD == 0 ? 0d : _maxD);
                break;
            case ParquetType.Int32 when _minI <= _maxI:
                s.MinValue = Bytes(_minI);
                s.MaxValue = Bytes(_maxI);
                break;
            case ParquetType.Int64 or ParquetType.TimestampMicros when _minL <= _maxL:
                s.MinValue = Bytes(_minL);
                s.MaxValue = Bytes(_maxL);
                break;
            case ParquetType.Boolean when _boolSeen != 0:
                s.MinValue = [(byte)((_boolSeen & 1) != 0 ? 0 : 1)];
                s.MaxValue = [(byte)((_boolSeen & 2) != 0 ? 1 : 0)];
                break;
            case ParquetType.String:
                DictionaryStats();
                s.MinValue = _minS;
                s.MaxValue = _maxS;
                break;
        }
        return s;
    }

    private static byte[] Bytes<T>(T v) where T : unmanaged => MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in v)).ToArray();

    internal static PhysicalType PhysicalTypeOf(ParquetType t) => t switch
    {
        ParquetType.Boolean => PhysicalType.Boolean,
        ParquetType.Int32 => PhysicalType.Int32,
        ParquetType.Int64 or ParquetType.TimestampMicros => PhysicalType.Int64,
        ParquetType.Float => PhysicalType.Float,
        ParquetType.Double => PhysicalType.Double,
        _ => PhysicalType.ByteArray,
    };

    internal static int ReadLength(ReadOnlySpan<byte> s) => BinaryPrimitives.ReadInt32LittleEndian(s);
}
