using System.Buffers;
using EdgeHub.Mqtt.Packets;
using EdgeHub.Mqtt.Protocol;

namespace EdgeHub.Mqtt.Formatter;

/// <summary>
/// Encodes packets for one connection (not thread-safe). The body goes into a pooled buffer whose reserved head receives
/// the fixed header once the remaining length is known; PUBLISH payloads are written after it without an extra copy.
/// </summary>
public sealed partial class MqttPacketEncoder : IDisposable
{
    private readonly MqttBufferWriter _body = new(512);
    private readonly MqttBufferWriter _props = new(128);

    /// <summary>Creates an encoder for <paramref name="version"/>.</summary>
    public MqttPacketEncoder(MqttProtocolVersion version = MqttProtocolVersion.V500) => Version = version;

    /// <summary>Protocol version of the connection (decides whether properties and reason codes are written).</summary>
    public MqttProtocolVersion Version { get; set; }

    private bool V5 => Version == MqttProtocolVersion.V500;

    /// <summary>Writes the complete packet to <paramref name="output"/>; returns the number of bytes written.</summary>
    public int Write(MqttPacket packet, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var head = EncodeHead(packet, out var payload);
        output.Write(head.Span);
        if (!payload.IsEmpty)
        {
            output.Write(payload.Span);
        }
        return head.Length + payload.Length;
    }

    /// <summary>Encodes the packet into a new array (tests and rarely used paths).</summary>
    public byte[] Encode(MqttPacket packet)
    {
        var head = EncodeHead(packet, out var payload);
        var result = new byte[head.Length + payload.Length];
        head.Span.CopyTo(result);
        payload.Span.CopyTo(result.AsSpan(head.Length));
        return result;
    }

    /// <summary>Size on the wire of the packet (used to honour the peer's maximum packet size).</summary>
    public int Measure(MqttPacket packet)
    {
        var head = EncodeHead(packet, out var payload);
        return head.Length + payload.Length;
    }

    /// <summary>Encodes everything except a PUBLISH payload, which is returned in <paramref name="payload"/>.</summary>
    public ReadOnlyMemory<byte> EncodeHead(MqttPacket packet, out ReadOnlyMemory<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(packet);
        payload = default;
        _body.Reset();
        switch (packet)
        {
            case MqttPublishPacket p:
                payload = p.Payload;
                return EncodePublish(p);
            case MqttAckPacket a:
                return EncodeAck(a);
            case MqttConnectPacket c:
                return EncodeConnect(c);
            case MqttConnAckPacket ca:
                return EncodeConnAck(ca);
            case MqttSubscribePacket s:
                return EncodeSubscribe(s);
            case MqttSubAckPacket sa:
                return EncodeSubAck(sa);
            case MqttUnsubscribePacket u:
                return EncodeUnsubscribe(u);
            case MqttUnsubAckPacket ua:
                return EncodeUnsubAck(ua);
            case MqttPingReqPacket:
                return _body.Complete(0xC0);
            case MqttPingRespPacket:
                return _body.Complete(0xD0);
            case MqttDisconnectPacket d:
                return EncodeDisconnect(d);
            case MqttAuthPacket au:
                return EncodeAuth(au);
            default:
                throw new ArgumentException($"cannot encode packet type {packet.Type}", nameof(packet));
        }
    }

    private ReadOnlyMemory<byte> EncodePublish(MqttPublishPacket p)
    {
        if (p.Qos > MqttQos.ExactlyOnce)
        {
            throw new MqttProtocolException($"QoS {(int)p.Qos} is not valid (0, 1 or 2)");
        }
        _body.WriteString(p.Topic);
        if (p.Qos != MqttQos.AtMostOnce)
        {
            if (p.PacketId == 0)
            {
                throw new MqttProtocolException("a QoS 1/2 PUBLISH needs a non-zero packet identifier [MQTT-2.2.1-3]");
            }
            _body.WriteUInt16(p.PacketId);
        }
        if (V5)
        {
            BeginProperties();
            if (p.PayloadIsUtf8)
            {
                PropByte(MqttPropertyId.PayloadFormatIndicator, 1);
            }
            if (p.MessageExpiryInterval is { } exp)
            {
                PropUInt32(MqttPropertyId.MessageExpiryInterval, exp);
            }
            if (p.TopicAlias != 0)
            {
                PropUInt16(MqttPropertyId.TopicAlias, p.TopicAlias);
            }
            PropString(MqttPropertyId.ResponseTopic, p.ResponseTopic);
            if (!p.CorrelationData.IsEmpty)
            {
                PropBinary(MqttPropertyId.CorrelationData, p.CorrelationData.Span);
            }
            WriteUserProperties(p.UserProperties);
            if (p.SubscriptionIdentifiers is { } ids)
            {
                for (var i = 0; i < ids.Count; i++)
                {
                    _props.WriteByte((byte)MqttPropertyId.SubscriptionIdentifier);
                    _props.WriteVariableInt(ids[i]);
                }
            }
            PropString(MqttPropertyId.ContentType, p.ContentType);
            EndProperties();
        }
        var first = (byte)(0x30 | ((byte)p.Qos << 1) | (p.Dup ? 0x08 : 0) | (p.Retain ? 0x01 : 0));
        return _body.Complete(first, p.Payload.Length);
    }

    private ReadOnlyMemory<byte> EncodeAck(MqttAckPacket a)
    {
        _body.WriteUInt16(a.PacketId);
        // §3.4.2.1: reason code and properties may be omitted when the code is 0x00 and there are no properties.
        if (V5 && (a.ReasonCode != MqttReasonCode.Success || a.ReasonString != null || a.UserProperties is { Count: > 0 }))
        {
            _body.WriteByte((byte)a.ReasonCode);
            if (a.ReasonString != null || a.UserProperties is { Count: > 0 })
            {
                BeginProperties();
                PropString(MqttPropertyId.ReasonString, a.ReasonString);
                WriteUserProperties(a.UserProperties);
                EndProperties();
            }
        }
        var first = a.Type switch
        {
            MqttPacketType.PubAck => (byte)0x40,
            MqttPacketType.PubRec => (byte)0x50,
            MqttPacketType.PubRel => (byte)0x62,
            _ => (byte)0x70,
        };
        return _body.Complete(first);
    }

    private void BeginProperties() => _props.Reset(reserveHeader: false);

    private void EndProperties()
    {
        var props = _props.Written(0);
        _body.WriteVariableInt((uint)props.Length);
        _body.WriteRaw(props);
    }

    private void PropByte(MqttPropertyId id, byte value)
    {
        _props.WriteByte((byte)id);
        _props.WriteByte(value);
    }

    private void PropUInt16(MqttPropertyId id, ushort value)
    {
        _props.WriteByte((byte)id);
        _props.WriteUInt16(value);
    }

    private void PropUInt32(MqttPropertyId id, uint value)
    {
        _props.WriteByte((byte)id);
        _props.WriteUInt32(value);
    }

    private void PropString(MqttPropertyId id, string? value)
    {
        if (value is null)
        {
            return;
        }
        _props.WriteByte((byte)id);
        _props.WriteString(value);
    }

    private void PropBinary(MqttPropertyId id, ReadOnlySpan<byte> value)
    {
        _props.WriteByte((byte)id);
        _props.WriteBinary(value);
    }

    private void WriteUserProperties(IReadOnlyList<KeyValuePair<string, string>>? properties)
    {
        if (properties is null)
        {
            return;
        }
        for (var i = 0; i < properties.Count; i++)
        {
            _props.WriteByte((byte)MqttPropertyId.UserProperty);
            _props.WriteString(properties[i].Key);
            _props.WriteString(properties[i].Value);
        }
    }

    /// <summary>Gives the scratch buffers back to the pool while the connection is idle (the next encode rents again).</summary>
    public void ReleaseBuffers()
    {
        _body.Release();
        _props.Release();
    }

    /// <inheritdoc />
    public void Dispose() => ReleaseBuffers();
}
