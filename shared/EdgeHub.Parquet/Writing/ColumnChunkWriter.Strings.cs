using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using EdgeHub.Parquet.Encoding;

namespace EdgeHub.Parquet.Writing;

internal sealed partial class ColumnChunkWriter
{
    private readonly Dictionary<string, int> _dict = new(StringComparer.Ordinal);
    private readonly ByteBuffer _dictPlain = new(1024);
    private readonly List<(int Offset, int Length)> _dictSpans = [];
    private bool _dictionaryMode;
    private int _dictCount;
    private int[] _indices = ArrayPool<int>.Shared.Rent(1024);
    private byte[]? _minS;
    private byte[]? _maxS;

    private void AppendStrings(string?[] values, bool[]? valid, int start, int count)
    {
        EnsureLevels(_pageValues + count);
        for (var r = start; r < start + count; r++)
        {
            var s = values[r];
            var isNull = s is null || (valid is not null && !valid[r]);
            if (isNull)
            {
                if (!_field.Nullable)
                    throw new ArgumentException($"column '{_field.Name}' is not nullable but row {r} of the batch is null");
                _levels[_pageValues++] = 0;
                _nullCount++;
            }
            else
            {
                if (_field.Nullable) _levels[_pageValues] = 1;
                _pageValues++;
                if (_dictionaryMode) AppendDictionaryValue(s!);
                else AppendPlainString(s!);
            }
            var full = _dictionaryMode ? _pageValues >= _options.PageSize / 4 : _values.Length >= _options.PageSize;
            if (full)
            {
                FlushPage();
                EnsureLevels(start + count - r);
            }
            if (_dictionaryMode && _dictPlain.Length > _options.DictionaryPageSizeLimit)
            {
                // Fallback (Encodings.md): pages so far stay dictionary-encoded, the rest of the chunk is PLAIN.
                FlushPage();
                _dictionaryMode = false;
            }
        }
    }

    private void AppendDictionaryValue(string s)
    {
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_dict, s, out var exists);
        if (!exists)
        {
            slot = _dictCount++;
            var len = System.Text.Encoding.UTF8.GetByteCount(s);
            _dictPlain.WriteInt32LE(len);
            var offset = _dictPlain.Length;
            _dictPlain.Advance(System.Text.Encoding.UTF8.GetBytes(s, _dictPlain.GetSpan(len)));
            _dictSpans.Add((offset, len));
        }
        if (_indices.Length <= _pageNonNull)
        {
            var next = ArrayPool<int>.Shared.Rent(_indices.Length * 2);
            _indices.AsSpan(0, _pageNonNull).CopyTo(next);
            ArrayPool<int>.Shared.Return(_indices);
            _indices = next;
        }
        _indices[_pageNonNull++] = slot;
    }

    private void AppendPlainString(string s)
    {
        var len = System.Text.Encoding.UTF8.GetByteCount(s);
        var span = _values.GetSpan(len + 4);
        BinaryPrimitives.WriteInt32LittleEndian(span, len);
        System.Text.Encoding.UTF8.GetBytes(s, span[4..]);
        UpdateStringStats(span.Slice(4, len));
        _values.Advance(len + 4);
        _pageNonNull++;
    }

    /// <summary>BYTE_ARRAY order for UTF-8 strings is unsigned lexicographic byte order (parquet.thrift ColumnOrder).</summary>
    private void UpdateStringStats(ReadOnlySpan<byte> v)
    {
        if (_minS is null || v.SequenceCompareTo(_minS) < 0) _minS = v.ToArray();
        if (_maxS is null || v.SequenceCompareTo(_maxS) > 0) _maxS = v.ToArray();
    }

    private void DictionaryStats()
    {
        var all = _dictPlain.WrittenSpan;
        foreach (var (offset, length) in _dictSpans) UpdateStringStats(all.Slice(offset, length));
    }

    private void ResetStrings()
    {
        _dict.Clear();
        _dictPlain.Clear();
        _dictSpans.Clear();
        _dictCount = 0;
        _minS = null;
        _maxS = null;
    }
}
