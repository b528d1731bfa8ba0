using System.Runtime.CompilerServices;

namespace EdgeHub.Parquet.Thrift;

/// <summary>
/// Reads Thrift compact protocol from a span with bounds checks on every step: truncated input, over-long varints, list
/// sizes larger than the bytes left and nesting deeper than <see cref="MaxDepth"/> all raise <see cref="ParquetFormatException"/>
/// naming <see cref="Context"/>; nothing is allocated from a declared size before it is checked against the input.
/// </summary>
internal ref struct ThriftCompactReader
{
    public const int MaxDepth = 32;
    private readonly ReadOnlySpan<byte> _data;
    private int _pos;
    private short _lastId;
    private int _depth;
    private ShortStack _stack;

    public ThriftCompactReader(ReadOnlySpan<byte> data, string context)
    {
        _data = data;
        Context = context;
    }

    public string Context { get; }

    public readonly int Position => _pos;

    /// <summary>Reads the next field header; false at the struct's stop byte. Boolean fields carry their value in the type.</summary>
    public bool NextField(out short id, out byte type)
    {
        var b = ReadByte();
        if (b == CompactType.Stop)
        {
            id = 0;
            type = 0;
            return false;
        }
        type = (byte)(b & 0x0F);
        var delta = b >> 4;
        if (delta != 0) id = (short)(_lastId + delta);
        else
        {
            var raw = UnZigZag(ReadVarint());
            if (raw is < short.MinValue or > short.MaxValue) throw Error($"field id {raw} out of range");
            id = (short)raw;
        }
        if (type > CompactType.Struct) throw Error($"unknown compact type {type} for field {id}");
        _lastId = id;
        return true;
    }

    public void StructBegin()
    {
        if (_depth >= MaxDepth) throw Error($"structures nested deeper than {MaxDepth}");
        _stack[_depth++] = _lastId;
        _lastId = 0;
    }

    public void StructEnd() => _lastId = _stack[--_depth];

    public int I32()
    {
        var v = UnZigZag(ReadVarint());
        if (v is < int.MinValue or > int.MaxValue) throw Error("i32 value out of range");
        return (int)v;
    }

    public long I64() => UnZigZag(ReadVarint());

    public ReadOnlySpan<byte> Binary()
    {
        var len = ReadVarint();
        if (len > (ulong)(_data.Length - _pos)) throw Error($"binary of {len} bytes runs past the end ({_data.Length - _pos} left)");
        var s = _data.Slice(_pos, (int)len);
        _pos += (int)len;
        return s;
    }

    public string String() => System.Text.Encoding.UTF8.GetString(Binary());

    /// <summary>Reads a list header; the count is checked against the bytes left (every element takes at least one byte).</summary>
    public int ListHeader(out byte elementType)
    {
        var b = ReadByte();
        elementType = (byte)(b & 0x0F);
        ulong count = (ulong)(b >> 4);
        if (count == 15) count = ReadVarint();
        if (count > (ulong)(_data.Length - _pos)) throw Error($"list declares {count} elements but only {_data.Length - _pos} bytes are left");
        return (int)count;
    }

    public bool BoolElement() => ReadByte() == CompactType.BoolTrue;

    /// <summary>Skips a value of the given compact type (unknown fields from newer writers).</summary>
    public void Skip(byte type)
    {
        switch (type)
        {
            case CompactType.BoolTrue or CompactType.BoolFalse: break;
            case CompactType.Byte: ReadByte(); break;
            case CompactType.I16 or CompactType.I32 or CompactType.I64: ReadVarint(); break;
            case CompactType.Double: Advance(8); break;
            case CompactType.Binary: Binary(); break;
            case CompactType.List or CompactType.Set:
                {
                    var n = ListHeader(out var et);
                    for (var i = 0; i < n; i++)
                    {
                        if (et is CompactType.BoolTrue or CompactType.BoolFalse) ReadByte();
                        else Skip(et);
                    }
                    break;
                }
            case CompactType.Map:
                {
                    var n = ReadVarint();
                    if (n == 0) break;
                    if (n > (ulong)(_data.Length - _pos)) throw Error("map size runs past the end");
                    var kv = ReadByte();
                    for (ulong i = 0; i < n; i++)
                    {
                        Skip((byte)(kv >> 4));
                        Skip((byte)(kv & 0xF));
                    }
                    break;
                }
            case CompactType.Struct:
                StructBegin();
                while (NextField(out _, out var ft)) Skip(ft);
                StructEnd();
                break;
            default: throw Error($"cannot skip unknown compact type {type}");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private byte ReadByte()
    {
        if (_pos >= _data.Length) throw Error("unexpected end of Thrift data");
        return _data[_pos++];
    }

    private void Advance(int n)
    {
        if (n > _data.Length - _pos) throw Error("unexpected end of Thrift data");
        _pos += n;
    }

    private ulong ReadVarint()
    {
        ulong result = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            var b = ReadByte();
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return result;
        }
        throw Error("varint longer than 10 bytes");
    }

    private static long UnZigZag(ulong v) => (long)(v >> 1) ^ -(long)(v & 1);

    public readonly ParquetFormatException Error(string what) => new($"{Context}: {what} (at byte {_pos})");
}

[InlineArray(ThriftCompactReader.MaxDepth)]
internal struct ShortStack
{
    private short _first;
}
