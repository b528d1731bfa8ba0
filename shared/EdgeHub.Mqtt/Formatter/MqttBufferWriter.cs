using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace EdgeHub.Mqtt.Formatter;

/// <summary>
/// Growable pooled buffer for one packet. The first <see cref="HeaderReserve"/> bytes are reserved so the fixed header
/// (type byte + up to four remaining-length bytes) can be back-filled right-aligned once the body size is known.
/// </summary>
internal sealed class MqttBufferWriter : IDisposable
{
    public const int HeaderReserve = 5;
    private readonly int _initialSize;
    private byte[] _buffer = [];
    private int _position;

    /// <summary>No array is rented until the first write (an idle connection holds none; see <see cref="Release"/>).</summary>
    public MqttBufferWriter(int initialSize = 256)
    {
        _initialSize = Math.Max(initialSize, 16);
        _position = HeaderReserve;
    }

    /// <summary>Bytes written after the reserved header area.</summary>
    public int BodyLength => _position - HeaderReserve;

    public void Reset(bool reserveHeader = true) => _position = reserveHeader ? HeaderReserve : 0;

    public ReadOnlySpan<byte> Written(int from) => _buffer.AsSpan(from, _position - from);

    private void Ensure(int count)
    {
        if (_position + count <= _buffer.Length)
        {
            return;
        }
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(Math.Max(_buffer.Length * 2, _initialSize), _position + count));
        if (_buffer.Length > 0)
        {
            _buffer.AsSpan(0, _position).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_buffer);
        }
        _buffer = bigger;
    }

    public void WriteByte(byte value)
    {
        Ensure(1);
        _buffer[_position++] = value;
    }

    public void WriteUInt16(ushort value)
    {
        Ensure(2);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(_position), value);
        _position += 2;
    }

    public void WriteUInt32(uint value)
    {
        Ensure(4);
        BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(_position), value);
        _position += 4;
    }

    public void WriteVariableInt(uint value)
    {
        Ensure(4);
        _position += MqttVarInt.Write(_buffer.AsSpan(_position), value);
    }

    /// <summary>UTF-8 string with a two-byte length prefix (§1.5.4).</summary>
    public void WriteString(string value)
    {
        var count = Encoding.UTF8.GetByteCount(value);
        if (count > ushort.MaxValue)
        {
            throw new MqttProtocolException($"string of {count} UTF-8 bytes exceeds the MQTT limit of 65,535");
        }
        Ensure(2 + count);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(_position), (ushort)count);
        _position += 2;
        _position += Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_position));
    }

    /// <summary>Binary data with a two-byte length prefix (§1.5.6).</summary>
    public void WriteBinary(ReadOnlySpan<byte> value)
    {
        if (value.Length > ushort.MaxValue)
        {
            throw new MqttProtocolException($"binary field of {value.Length} bytes exceeds the MQTT limit of 65,535");
        }
        WriteUInt16((ushort)value.Length);
        WriteRaw(value);
    }

    public void WriteRaw(ReadOnlySpan<byte> value)
    {
        Ensure(value.Length);
        value.CopyTo(_buffer.AsSpan(_position));
        _position += value.Length;
    }

    /// <summary>
    /// Back-fills the fixed header for a body of <see cref="BodyLength"/> + <paramref name="trailingLength"/> bytes
    /// (the trailer is a payload written separately) and returns the complete header + body bytes.
    /// </summary>
    public ReadOnlyMemory<byte> Complete(byte firstByte, int trailingLength = 0)
    {
        Ensure(0); // a packet with no body (PINGRESP) may be the first write since Release
        var remaining = BodyLength + trailingLength;
        if ((uint)remaining > MqttVarInt.MaxValue)
        {
            throw new MqttProtocolException($"packet body of {remaining} bytes exceeds the MQTT limit of 268,435,455");
        }
        Span<byte> len = stackalloc byte[4];
        var n = MqttVarInt.Write(len, (uint)remaining);
        var start = HeaderReserve - 1 - n;
        _buffer[start] = firstByte;
        len[..n].CopyTo(_buffer.AsSpan(start + 1));
        return _buffer.AsMemory(start, _position - start);
    }

    /// <summary>
    /// Gives the array back to the pool between packets (the next write rents again). Only the writer's own thread may
    /// call it, and never while bytes from <see cref="Complete"/> are still to be copied out.
    /// </summary>
    public void Release()
    {
        var b = _buffer;
        _buffer = [];
        if (b.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(b);
        }
    }

    public void Dispose() => Release();
}
