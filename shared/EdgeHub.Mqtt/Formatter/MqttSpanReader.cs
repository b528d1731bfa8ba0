using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using System.Text.Unicode;
using EdgeHub.Mqtt.Protocol;

namespace EdgeHub.Mqtt.Formatter;

/// <summary>Reads MQTT data types (§1.5) from a contiguous packet body; every overrun is a malformed packet.</summary>
internal ref struct MqttSpanReader
{
    private readonly ReadOnlySpan<byte> _span;

    public MqttSpanReader(ReadOnlySpan<byte> span)
    {
        _span = span;
        Position = 0;
    }

    public int Position { get; set; }

    public readonly int Remaining => _span.Length - Position;

    public byte ReadByte()
    {
        if (Position >= _span.Length)
        {
            MqttThrow.Malformed("packet ends inside a one-byte field");
        }
        return _span[Position++];
    }

    public ushort ReadUInt16()
    {
        if (Remaining < 2)
        {
            MqttThrow.Malformed("packet ends inside a two-byte integer");
        }
        var value = BinaryPrimitives.ReadUInt16BigEndian(_span[Position..]);
        Position += 2;
        return value;
    }

    public uint ReadUInt32()
    {
        if (Remaining < 4)
        {
            MqttThrow.Malformed("packet ends inside a four-byte integer");
        }
        var value = BinaryPrimitives.ReadUInt32BigEndian(_span[Position..]);
        Position += 4;
        return value;
    }

    /// <summary>Bytes already bounds-checked by the caller (no position change).</summary>
    public readonly ReadOnlySpan<byte> Slice(int start, int length) => _span.Slice(start, length);

    /// <summary>Variable byte integer (§1.5.5): at most four bytes [MQTT-1.5.5-1].</summary>
    public uint ReadVariableInt()
    {
        uint value = 0;
        for (var i = 0; i < 4; i++)
        {
            var b = ReadByte();
            value |= (uint)(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }
        MqttThrow.Malformed("variable byte integer longer than four bytes");
        return 0;
    }

    /// <summary>UTF-8 string (§1.5.4): well-formed, no U+0000 [MQTT-1.5.4-1, MQTT-1.5.4-2].</summary>
    public string ReadString()
    {
        var bytes = ReadBinarySpan();
        if (bytes.IsEmpty)
        {
            return "";
        }
        ValidateUtf8(bytes);
        return Encoding.UTF8.GetString(bytes);
    }

    public static void ValidateUtf8(ReadOnlySpan<byte> bytes)
    {
        if (!Utf8.IsValid(bytes))
        {
            MqttThrow.Malformed("UTF-8 string is not well-formed [MQTT-1.5.4-1]");
        }
        if (bytes.Contains((byte)0))
        {
            MqttThrow.Malformed("UTF-8 string contains U+0000 [MQTT-1.5.4-2]");
        }
    }

    public ReadOnlySpan<byte> ReadBinarySpan()
    {
        var length = ReadUInt16();
        if (Remaining < length)
        {
            MqttThrow.Malformed($"field of {length} bytes runs past the end of the packet");
        }
        var slice = _span.Slice(Position, length);
        Position += length;
        return slice;
    }

    public byte[] ReadBinary() => ReadBinarySpan().ToArray();
}

/// <summary>Throw helpers kept out of the hot paths.</summary>
internal static class MqttThrow
{
    [StackTraceHidden]
    public static void Malformed(string message) => throw new MqttProtocolException("malformed packet: " + message, MqttReasonCode.MalformedPacket);

    [StackTraceHidden]
    public static void Protocol(string message) => throw new MqttProtocolException("protocol error: " + message, MqttReasonCode.ProtocolError);

    [StackTraceHidden]
    public static void Code(MqttReasonCode code, string message) => throw new MqttProtocolException(message, code);
}
