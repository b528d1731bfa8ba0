using EdgeHub.Parquet.Encoding;

namespace EdgeHub.Parquet.Thrift;

/// <summary>Compact-protocol type ids (Thrift compact protocol spec, "Struct encoding").</summary>
internal static class CompactType
{
    public const byte Stop = 0, BoolTrue = 1, BoolFalse = 2, Byte = 3, I16 = 4, I32 = 5, I64 = 6, Double = 7, Binary = 8,
        List = 9, Set = 10, Map = 11, Struct = 12;
}

/// <summary>
/// Writes Thrift compact protocol into a <see cref="ByteBuffer"/>. Field headers use the short form (delta 1..15 in the high
/// nibble) when possible, else the long form (type byte + zigzag varint id). Nested structs save and restore the last field id.
/// </summary>
internal sealed class ThriftCompactWriter
{
    private readonly ByteBuffer _out;
    private readonly short[] _stack = new short[32];
    private int _depth;
    private short _lastId;

    public ThriftCompactWriter(ByteBuffer output) => _out = output;

    public void FieldHeader(short id, byte type)
    {
        var delta = id - _lastId;
        if (delta is > 0 and <= 15) _out.WriteByte((byte)((delta << 4) | type));
        else
        {
            _out.WriteByte(type);
            _out.WriteUleb128(ZigZag(id));
        }
        _lastId = id;
    }

    public void I32(short id, int value)
    {
        FieldHeader(id, CompactType.I32);
        _out.WriteUleb128(ZigZag(value));
    }

    public void I64(short id, long value)
    {
        FieldHeader(id, CompactType.I64);
        _out.WriteUleb128(ZigZag(value));
    }

    public void Bool(short id, bool value) => FieldHeader(id, value ? CompactType.BoolTrue : CompactType.BoolFalse);

    public void Binary(short id, ReadOnlySpan<byte> value)
    {
        FieldHeader(id, CompactType.Binary);
        RawBinary(value);
    }

    public void String(short id, string value) => Binary(id, System.Text.Encoding.UTF8.GetBytes(value));

    public void RawBinary(ReadOnlySpan<byte> value)
    {
        _out.WriteUleb128((ulong)value.Length);
        _out.Write(value);
    }

    public void RawString(string value) => RawBinary(System.Text.Encoding.UTF8.GetBytes(value));

    public void RawI32(int value) => _out.WriteUleb128(ZigZag(value));

    /// <summary>Begins a struct-typed field; pair with <see cref="StructEnd"/>.</summary>
    public void StructField(short id)
    {
        FieldHeader(id, CompactType.Struct);
        StructBegin();
    }

    /// <summary>Begins a struct value (top level or list element).</summary>
    public void StructBegin()
    {
        _stack[_depth++] = _lastId;
        _lastId = 0;
    }

    public void StructEnd()
    {
        _out.WriteByte(CompactType.Stop);
        _lastId = _stack[--_depth];
    }

    public void ListField(short id, byte elementType, int count)
    {
        FieldHeader(id, CompactType.List);
        if (count < 15) _out.WriteByte((byte)((count << 4) | elementType));
        else
        {
            _out.WriteByte((byte)(0xF0 | elementType));
            _out.WriteUleb128((ulong)count);
        }
    }

    private static ulong ZigZag(long v) => (ulong)((v << 1) ^ (v >> 63));
}
