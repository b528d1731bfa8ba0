using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EdgeHub.Parquet.Writing;

/// <summary>
/// The dictionary of one numeric column chunk (parquet-format Encodings.md, "Dictionary Encoding"): distinct values by bit
/// pattern, in first-seen order, mapped to their indices through an open-addressing hash table. Keys are the raw bits
/// (<typeparamref name="TKey"/> is <see cref="uint"/> for INT32/FLOAT, <see cref="ulong"/> for INT64/DOUBLE), so -0.0 and
/// +0.0, and NaNs with different payloads, stay distinct and every value round-trips bit for bit.
/// </summary>
internal sealed class NumericDictionary<TKey> : IDisposable where TKey : unmanaged, IBinaryInteger<TKey>
{
    private const ulong Golden = 0x9E3779B97F4A7C15UL;
    private TKey[] _slotKeys;
    private int[] _slotIndex; // entry index + 1; 0 marks an empty slot
    private TKey[] _values;
    private int _mask;
    private int _shift;

    public NumericDictionary()
    {
        _slotKeys = ArrayPool<TKey>.Shared.Rent(1024);
        _slotIndex = ArrayPool<int>.Shared.Rent(1024);
        _values = ArrayPool<TKey>.Shared.Rent(512);
        Reset(1024);
    }

    /// <summary>Distinct values so far.</summary>
    public int Count { get; private set; }

    /// <summary>The distinct values in index order: the PLAIN body of the dictionary page.</summary>
    public ReadOnlySpan<byte> PlainBytes => MemoryMarshal.AsBytes(_values.AsSpan(0, Count));

    /// <summary>Forgets every value (next row group).</summary>
    public void Clear()
    {
        Count = 0;
        _slotIndex.AsSpan(0, _mask + 1).Clear();
    }

    /// <summary>
    /// Writes the index of each of <paramref name="keys"/> into <paramref name="indices"/>, adding new values. Stops before
    /// the value that would make the dictionary hold more than <paramref name="maxCount"/> values and returns how many
    /// keys were encoded (the caller then falls back to PLAIN); returns <c>keys.Length</c> when all were.
    /// </summary>
    public int Encode(ReadOnlySpan<TKey> keys, Span<int> indices, int maxCount)
    {
        ref var slotKeys = ref MemoryMarshal.GetArrayDataReference(_slotKeys);
        ref var slotIndex = ref MemoryMarshal.GetArrayDataReference(_slotIndex);
        var mask = _mask;
        var shift = _shift;
        for (var i = 0; i < keys.Length; i++)
        {
            var key = keys[i];
            var h = (int)((ulong.CreateTruncating(key) * Golden) >> shift);
            while (true)
            {
                var s = Unsafe.Add(ref slotIndex, h);
                if (s == 0)
                {
                    if (Count >= maxCount) return i;
                    Unsafe.Add(ref slotKeys, h) = key;
                    Unsafe.Add(ref slotIndex, h) = Count + 1;
                    indices[i] = Count;
                    AddValue(key);
                    if (Count * 2 > mask + 1)
                    {
                        Grow();
                        slotKeys = ref MemoryMarshal.GetArrayDataReference(_slotKeys);
                        slotIndex = ref MemoryMarshal.GetArrayDataReference(_slotIndex);
                        mask = _mask;
                        shift = _shift;
                    }
                    break;
                }
                if (Unsafe.Add(ref slotKeys, h) == key)
                {
                    indices[i] = s - 1;
                    break;
                }
                h = (h + 1) & mask;
            }
        }
        return keys.Length;
    }

    private void AddValue(TKey key)
    {
        if (Count == _values.Length)
        {
            var next = ArrayPool<TKey>.Shared.Rent(Count * 2);
            _values.AsSpan(0, Count).CopyTo(next);
            ArrayPool<TKey>.Shared.Return(_values);
            _values = next;
        }
        _values[Count++] = key;
    }

    /// <summary>Doubles the table (load factor stays at most 1/2) and re-inserts every value.</summary>
    private void Grow()
    {
        var size = (_mask + 1) * 2;
        ArrayPool<TKey>.Shared.Return(_slotKeys);
        ArrayPool<int>.Shared.Return(_slotIndex);
        _slotKeys = ArrayPool<TKey>.Shared.Rent(size);
        _slotIndex = ArrayPool<int>.Shared.Rent(size);
        Reset(size);
        for (var v = 0; v < Count; v++)
        {
            var key = _values[v];
            var h = (int)((ulong.CreateTruncating(key) * Golden) >> _shift);
            while (_slotIndex[h] != 0) h = (h + 1) & _mask;
            _slotKeys[h] = key;
            _slotIndex[h] = v + 1;
        }
    }

    private void Reset(int size)
    {
        _mask = size - 1;
        _shift = 64 - BitOperations.Log2((uint)size);
        _slotIndex.AsSpan(0, size).Clear();
    }

    public void Dispose()
    {
        if (_values.Length == 0) return;
        ArrayPool<TKey>.Shared.Return(_slotKeys);
        ArrayPool<int>.Shared.Return(_slotIndex);
        ArrayPool<TKey>.Shared.Return(_values);
        _slotKeys = _values = [];
        _slotIndex = [];
        Count = 0;
    }
}
