using System.Buffers;
using EdgeHub.Mqtt.Packets;
using EdgeHub.Mqtt.Protocol;

namespace EdgeHub.Mqtt.Formatter;

/// <summary>
/// Frames and decodes packets for one connection (not thread-safe). <see cref="TryRead"/> consumes nothing on incomplete
/// input, checks the maximum packet size from the fixed header before the body is buffered, and decodes from the receive
/// buffer directly when the body is contiguous (a body split across segments is copied once into a reused scratch buffer).
/// A decoded PUBLISH payload points into that memory: valid until the reader advances.
/// </summary>
public sealed partial class MqttPacketDecoder : IDisposable
{
    private byte[] _scratch = [];
    private MqttPublishPacket? _publish;
    private string? _lastTopic;

    /// <summary>Creates a decoder.</summary>
    public MqttPacketDecoder(MqttProtocolVersion version = MqttProtocolVersion.V500) => Version = version;

    /// <summary>Protocol version of the connection (CONNECT carries its own).</summary>
    public MqttProtocolVersion Version { get; set; }

    /// <summary>
    /// Decode every PUBLISH into one reused instance (the broker consumes each packet before reading the next); the
    /// client keeps the default (a new packet per PUBLISH) because it hands packets to the application.
    /// </summary>
    public bool ReusePublishPacket { get; set; }

    /// <summary>Largest accepted packet (fixed header included); larger packets fail with PacketTooLarge.</summary>
    public int MaximumPacketSize { get; set; } = (int)MqttVarInt.MaxValue + 5;

    private bool V5 => Version == MqttProtocolVersion.V500;

    /// <summary>Reads one complete packet, or returns false (consuming nothing) when more bytes are needed.</summary>
    public bool TryRead(ref SequenceReader<byte> reader, out MqttPacket? packet)
    {
        packet = null;
        if (!TryReadFrame(ref reader, MaximumPacketSize, out var first, out var body))
        {
            return false;
        }
        packet = Decode(first, Contiguous(body));
        return true;
    }

    /// <summary>Frames one packet: fixed header and body, without decoding it.</summary>
    public static bool TryReadFrame(ref SequenceReader<byte> reader, int maximumPacketSize, out byte first, out ReadOnlySequence<byte> body)
    {
        body = default;
        var start = reader.Consumed;
        if (!reader.TryRead(out first))
        {
            return false;
        }
        uint length = 0;
        var i = 0;
        while (true)
        {
            if (!reader.TryRead(out var b))
            {
                reader.Rewind(reader.Consumed - start);
                return false;
            }
            length |= (uint)(b & 0x7F) << (7 * i);
            i++;
            if ((b & 0x80) == 0)
            {
                break;
            }
            if (i == 4)
            {
                MqttThrow.Malformed("remaining length longer than four bytes [MQTT-1.5.5-1]");
            }
        }
        if (length + 1 + i > (uint)maximumPacketSize)
        {
            MqttThrow.Code(MqttReasonCode.PacketTooLarge, $"packet of {length + 1 + i} bytes exceeds the maximum packet size {maximumPacketSize}");
        }
        if (reader.Remaining < length)
        {
            reader.Rewind(reader.Consumed - start);
            return false;
        }
        body = reader.UnreadSequence.Slice(0, length);
        reader.Advance(length);
        return true;
    }

    private ReadOnlyMemory<byte> Contiguous(ReadOnlySequence<byte> body)
    {
        if (body.IsSingleSegment)
        {
            return body.First;
        }
        var length = (int)body.Length;
        if (_scratch.Length < length)
        {
            if (_scratch.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_scratch);
            }
            _scratch = ArrayPool<byte>.Shared.Rent(length);
        }
        body.CopyTo(_scratch);
        return _scratch.AsMemory(0, length);
    }

    /// <summary>Decodes a framed packet body.</summary>
    public MqttPacket Decode(byte first, ReadOnlyMemory<byte> body)
    {
        var type = (MqttPacketType)(first >> 4);
        var flags = first & 0x0F;
        // §2.1.3: reserved flag values; PUBREL, SUBSCRIBE, UNSUBSCRIBE carry 0b0010 [MQTT-2.1.3-1].
        var expected = type is MqttPacketType.PubRel or MqttPacketType.Subscribe or MqttPacketType.Unsubscribe ? 2 : 0;
        if (type != MqttPacketType.Publish && flags != expected)
        {
            MqttThrow.Malformed($"{type} with invalid fixed-header flags 0x{flags:X}");
        }
        return type switch
        {
            MqttPacketType.Connect => DecodeConnect(body.Span),
            MqttPacketType.ConnAck => DecodeConnAck(body.Span),
            MqttPacketType.Publish => DecodePublish(flags, body),
            MqttPacketType.PubAck => DecodeAck(new MqttPubAckPacket(), body.Span),
            MqttPacketType.PubRec => DecodeAck(new MqttPubRecPacket(), body.Span),
            MqttPacketType.PubRel => DecodeAck(new MqttPubRelPacket(), body.Span),
            MqttPacketType.PubComp => DecodeAck(new MqttPubCompPacket(), body.Span),
            MqttPacketType.Subscribe => DecodeSubscribe(body.Span),
            MqttPacketType.SubAck => DecodeSubAck(body.Span),
            MqttPacketType.Unsubscribe => DecodeUnsubscribe(body.Span),
            MqttPacketType.UnsubAck => DecodeUnsubAck(body.Span),
            MqttPacketType.PingReq => Empty(body, MqttPingReqPacket.Instance),
            MqttPacketType.PingResp => Empty(body, MqttPingRespPacket.Instance),
            MqttPacketType.Disconnect => DecodeDisconnect(body.Span),
            MqttPacketType.Auth => DecodeAuth(body.Span),
            _ => throw new MqttProtocolException("malformed packet: reserved packet type 0", MqttReasonCode.MalformedPacket),
        };
    }

    private static MqttPacket Empty(ReadOnlyMemory<byte> body, MqttPacket packet)
    {
        if (!body.IsEmpty)
        {
            MqttThrow.Malformed($"{packet.Type} must have remaining length 0");
        }
        return packet;
    }

    private MqttPublishPacket DecodePublish(int flags, ReadOnlyMemory<byte> body)
    {
        var qos = (flags >> 1) & 3;
        if (qos == 3)
        {
            MqttThrow.Malformed("PUBLISH with QoS 3 [MQTT-3.3.1-4]");
        }
        var dup = (flags & 0x08) != 0;
        if (dup && qos == 0)
        {
            MqttThrow.Malformed("PUBLISH with DUP set at QoS 0 [MQTT-3.3.1-2]");
        }
        var reader = new MqttSpanReader(body.Span);
        var packet = ReusePublishPacket ? Reset(_publish ??= new MqttPublishPacket()) : new MqttPublishPacket();
        packet.Topic = ReadTopic(ref reader);
        packet.Qos = (MqttQos)qos;
        packet.Dup = dup;
        packet.Retain = (flags & 1) != 0;
        if (MqttTopic.HasWildcard(packet.Topic))
        {
            MqttThrow.Code(MqttReasonCode.TopicNameInvalid, $"topic name '{packet.Topic}' contains a wildcard [MQTT-3.3.2-2]");
        }
        if (qos > 0)
        {
            packet.PacketId = reader.ReadUInt16();
            if (packet.PacketId == 0)
            {
                MqttThrow.Malformed("PUBLISH with packet identifier 0 [MQTT-2.2.1-3]");
            }
        }
        if (V5)
        {
            var p = MqttProperties.Read(ref reader, PropertyContext.Publish);
            packet.PayloadIsUtf8 = p.PayloadFormat == 1;
            packet.MessageExpiryInterval = p.MessageExpiry;
            packet.TopicAlias = p.TopicAlias ?? 0;
            packet.ResponseTopic = p.ResponseTopic;
            if (p.ResponseTopic != null && MqttTopic.HasWildcard(p.ResponseTopic))
            {
                MqttThrow.Protocol("response topic contains a wildcard [MQTT-3.3.2-14]");
            }
            packet.CorrelationData = p.CorrelationData;
            packet.SubscriptionIdentifiers = p.SubscriptionIds;
            packet.ContentType = p.ContentType;
            packet.UserProperties = p.User;
        }
        if (packet.Topic.Length == 0 && packet.TopicAlias == 0)
        {
            MqttThrow.Code(MqttReasonCode.TopicNameInvalid, "PUBLISH with an empty topic name and no topic alias [MQTT-4.7.3-1]");
        }
        packet.Payload = body[reader.Position..];
        if (packet.PayloadIsUtf8)
        {
            MqttPublishValidation.ValidateUtf8Payload(packet.Payload.Span);
        }
        return packet;
    }

    private static MqttPublishPacket Reset(MqttPublishPacket p)
    {
        p.PacketId = 0;
        p.PayloadIsUtf8 = false;
        p.MessageExpiryInterval = null;
        p.TopicAlias = 0;
        p.ResponseTopic = null;
        p.CorrelationData = default;
        p.SubscriptionIdentifiers = null;
        p.ContentType = null;
        p.UserProperties = null;
        return p;
    }

    /// <summary>
    /// The topic name, reusing the previous string when the bytes repeat (a publisher usually sends to one topic): an
    /// ASCII topic is compared with the string itself (those bytes were validated when the string was made), so the
    /// decoder keeps no copy of the bytes (an edge holds 10,000 decoders, one per monitor).
    /// </summary>
    private string ReadTopic(ref MqttSpanReader reader)
    {
        var start = reader.Position;
        var length = reader.ReadUInt16();
        if (_lastTopic != null && length == _lastTopic.Length && reader.Remaining >= length &&
            System.Text.Ascii.Equals(reader.Slice(reader.Position, length), _lastTopic))
        {
            reader.Position += length;
            return _lastTopic;
        }
        reader.Position = start;
        var topic = reader.ReadString();
        _lastTopic = topic;
        return topic;
    }

    private MqttAckPacket DecodeAck(MqttAckPacket packet, ReadOnlySpan<byte> body)
    {
        var reader = new MqttSpanReader(body);
        packet.PacketId = reader.ReadUInt16();
        if (packet.PacketId == 0)
        {
            MqttThrow.Malformed($"{packet.Type} with packet identifier 0");
        }
        if (V5 && reader.Remaining > 0)
        {
            packet.ReasonCode = (MqttReasonCode)reader.ReadByte();
            if (reader.Remaining > 0)
            {
                var p = MqttProperties.Read(ref reader, PropertyContext.Ack);
                packet.ReasonString = p.ReasonString;
                packet.UserProperties = p.User;
            }
        }
        End(ref reader, packet.Type);
        return packet;
    }

    private static void End(ref MqttSpanReader reader, MqttPacketType type)
    {
        if (reader.Remaining != 0)
        {
            MqttThrow.Malformed($"{type} has {reader.Remaining} unexpected trailing bytes");
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_scratch.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_scratch);
            _scratch = [];
        }
    }
}

/// <summary>Payload checks for the v5 payload format indicator.</summary>
internal static class MqttPublishValidation
{
    /// <summary>§3.3.2.3.2: a payload marked UTF-8 must be well-formed.</summary>
    public static void ValidateUtf8Payload(ReadOnlySpan<byte> payload)
    {
        if (!System.Text.Unicode.Utf8.IsValid(payload))
        {
            MqttThrow.Code(MqttReasonCode.PayloadFormatInvalid, "payload marked as UTF-8 is not well-formed UTF-8");
        }
    }
}
