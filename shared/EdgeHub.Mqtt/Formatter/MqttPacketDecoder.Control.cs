using EdgeHub.Mqtt.Packets;
using EdgeHub.Mqtt.Protocol;

namespace EdgeHub.Mqtt.Formatter;

/// <summary>Decoding of the connection and subscription control packets.</summary>
public sealed partial class MqttPacketDecoder
{
    private static MqttConnectPacket DecodeConnect(ReadOnlySpan<byte> body)
    {
        var reader = new MqttSpanReader(body);
        var name = reader.ReadString();
        var level = reader.ReadByte();
        if (name != "MQTT")
        {
            MqttThrow.Code(MqttReasonCode.UnsupportedProtocolVersion, $"unsupported protocol name '{name}' (expected MQTT) [MQTT-3.1.2-1]");
        }
        if (level != 4 && level != 5)
        {
            MqttThrow.Code(MqttReasonCode.UnsupportedProtocolVersion, $"unsupported protocol level {level} (4 = 3.1.1 and 5 = 5.0 are supported)");
        }
        var v5 = level == 5;
        var flags = reader.ReadByte();
        if ((flags & 1) != 0)
        {
            MqttThrow.Malformed("CONNECT reserved flag is set [MQTT-3.1.2-3]");
        }
        var willFlag = (flags & 0x04) != 0;
        var willQos = (flags >> 3) & 3;
        var willRetain = (flags & 0x20) != 0;
        if (!willFlag && (willQos != 0 || willRetain))
        {
            MqttThrow.Malformed("will QoS/retain set without the will flag [MQTT-3.1.2-11]");
        }
        if (willQos == 3)
        {
            MqttThrow.Malformed("will QoS 3 [MQTT-3.1.2-12]");
        }
        var hasUser = (flags & 0x80) != 0;
        var hasPassword = (flags & 0x40) != 0;
        if (!v5 && hasPassword && !hasUser)
        {
            MqttThrow.Malformed("password without user name [MQTT-3.1.2-22]");
        }
        var packet = new MqttConnectPacket
        {
            ProtocolVersion = (MqttProtocolVersion)level,
            CleanStart = (flags & 0x02) != 0,
            KeepAlive = reader.ReadUInt16(),
        };
        if (v5)
        {
            var p = MqttProperties.Read(ref reader, PropertyContext.Connect);
            packet.SessionExpiryInterval = p.SessionExpiry ?? 0;
            packet.ReceiveMaximum = p.ReceiveMaximum ?? ushort.MaxValue;
            packet.MaximumPacketSize = p.MaximumPacketSize ?? 0;
            packet.TopicAliasMaximum = p.TopicAliasMaximum ?? 0;
            packet.RequestResponseInformation = p.RequestResponse == 1;
            packet.RequestProblemInformation = p.RequestProblem != 0;
            packet.AuthenticationMethod = p.AuthMethod;
            packet.AuthenticationData = p.AuthData;
            packet.UserProperties = p.User;
        }
        packet.ClientId = reader.ReadString();
        if (willFlag)
        {
            var wp = v5 ? MqttProperties.Read(ref reader, PropertyContext.Will) : default;
            var topic = reader.ReadString();
            if (!MqttTopic.IsValidTopicName(topic))
            {
                MqttThrow.Code(MqttReasonCode.TopicNameInvalid, $"will topic '{topic}' is not a valid topic name");
            }
            var payload = reader.ReadBinary();
            if (wp.PayloadFormat == 1)
            {
                MqttPublishValidation.ValidateUtf8Payload(payload);
            }
            packet.WillDelayInterval = wp.WillDelay ?? 0;
            packet.Will = new MqttApplicationMessage
            {
                Topic = topic,
                Payload = payload,
                Qos = (MqttQos)willQos,
                Retain = willRetain,
                PayloadIsUtf8 = wp.PayloadFormat == 1,
                MessageExpiryInterval = wp.MessageExpiry,
                ContentType = wp.ContentType,
                ResponseTopic = wp.ResponseTopic,
                CorrelationData = wp.CorrelationData,
                UserProperties = wp.User,
            };
        }
        if (hasUser)
        {
            packet.Username = reader.ReadString();
        }
        if (hasPassword)
        {
            packet.Password = reader.ReadBinary();
        }
        End(ref reader, MqttPacketType.Connect);
        return packet;
    }

    private MqttConnAckPacket DecodeConnAck(ReadOnlySpan<byte> body)
    {
        var reader = new MqttSpanReader(body);
        var flags = reader.ReadByte();
        if ((flags & 0xFE) != 0)
        {
            MqttThrow.Malformed("CONNACK reserved flags are set [MQTT-3.2.2-1]");
        }
        var packet = new MqttConnAckPacket { SessionPresent = (flags & 1) != 0 };
        var code = reader.ReadByte();
        if (!V5)
        {
            packet.ReasonCode = MqttConnectReturnCode.FromV311(code);
            End(ref reader, MqttPacketType.ConnAck);
            return packet;
        }
        packet.ReasonCode = (MqttReasonCode)code;
        var p = MqttProperties.Read(ref reader, PropertyContext.ConnAck);
        packet.SessionExpiryInterval = p.SessionExpiry;
        packet.ReceiveMaximum = p.ReceiveMaximum ?? ushort.MaxValue;
        packet.MaximumQos = (MqttQos)(p.MaximumQos ?? 2);
        packet.RetainAvailable = p.RetainAvailable != 0;
        packet.MaximumPacketSize = p.MaximumPacketSize ?? 0;
        packet.AssignedClientIdentifier = p.AssignedClientId;
        packet.TopicAliasMaximum = p.TopicAliasMaximum ?? 0;
        packet.ReasonString = p.ReasonString;
        packet.UserProperties = p.User;
        packet.WildcardSubscriptionAvailable = p.WildcardAvailable != 0;
        packet.SubscriptionIdentifiersAvailable = p.SubIdAvailable != 0;
        packet.SharedSubscriptionAvailable = p.SharedAvailable != 0;
        packet.ServerKeepAlive = p.ServerKeepAlive;
        packet.ResponseInformation = p.ResponseInfo;
        packet.ServerReference = p.ServerReference;
        packet.AuthenticationMethod = p.AuthMethod;
        packet.AuthenticationData = p.AuthData;
        End(ref reader, MqttPacketType.ConnAck);
        return packet;
    }

    private MqttSubscribePacket DecodeSubscribe(ReadOnlySpan<byte> body)
    {
        var reader = new MqttSpanReader(body);
        var packet = new MqttSubscribePacket { PacketId = NonZeroId(ref reader, MqttPacketType.Subscribe) };
        if (V5)
        {
            var p = MqttProperties.Read(ref reader, PropertyContext.Subscribe);
            packet.SubscriptionIdentifier = p.SubscriptionIds is { Count: > 0 } ids ? ids[0] : 0;
            packet.UserProperties = p.User;
        }
        var list = new List<MqttSubscription>(1);
        while (reader.Remaining > 0)
        {
            var filter = reader.ReadString();
            var options = reader.ReadByte();
            // §3.8.3.1: bits 6-7 reserved; 3.1.1 reserves bits 2-7 [MQTT-3-8.3-4].
            if ((options & (V5 ? 0xC0 : 0xFC)) != 0)
            {
                MqttThrow.Malformed($"SUBSCRIBE options 0x{options:X2} set reserved bits");
            }
            if ((options & 3) == 3)
            {
                MqttThrow.Malformed("SUBSCRIBE with QoS 3");
            }
            if (((options >> 4) & 3) == 3)
            {
                MqttThrow.Protocol("SUBSCRIBE with retain handling 3");
            }
            list.Add(new MqttSubscription(filter, (MqttQos)(options & 3))
            {
                NoLocal = (options & 0x04) != 0,
                RetainAsPublished = (options & 0x08) != 0,
                RetainHandling = (MqttRetainHandling)((options >> 4) & 3),
                SubscriptionIdentifier = packet.SubscriptionIdentifier,
            });
        }
        if (list.Count == 0)
        {
            MqttThrow.Protocol("SUBSCRIBE without topic filters [MQTT-3.8.3-2]");
        }
        packet.Subscriptions = list;
        return packet;
    }

    private MqttSubAckPacket DecodeSubAck(ReadOnlySpan<byte> body)
    {
        var reader = new MqttSpanReader(body);
        var packet = new MqttSubAckPacket { PacketId = NonZeroId(ref reader, MqttPacketType.SubAck) };
        if (V5)
        {
            var p = MqttProperties.Read(ref reader, PropertyContext.SubAck);
            packet.ReasonString = p.ReasonString;
            packet.UserProperties = p.User;
        }
        var codes = new MqttReasonCode[reader.Remaining];
        for (var i = 0; i < codes.Length; i++)
        {
            codes[i] = (MqttReasonCode)reader.ReadByte();
        }
        packet.ReasonCodes = codes;
        return packet;
    }

    private MqttUnsubscribePacket DecodeUnsubscribe(ReadOnlySpan<byte> body)
    {
        var reader = new MqttSpanReader(body);
        var packet = new MqttUnsubscribePacket { PacketId = NonZeroId(ref reader, MqttPacketType.Unsubscribe) };
        if (V5)
        {
            packet.UserProperties = MqttProperties.Read(ref reader, PropertyContext.Unsubscribe).User;
        }
        var list = new List<string>(1);
        while (reader.Remaining > 0)
        {
            list.Add(reader.ReadString());
        }
        if (list.Count == 0)
        {
            MqttThrow.Protocol("UNSUBSCRIBE without topic filters [MQTT-3.10.3-2]");
        }
        packet.TopicFilters = list;
        return packet;
    }

    private MqttUnsubAckPacket DecodeUnsubAck(ReadOnlySpan<byte> body)
    {
        var reader = new MqttSpanReader(body);
        var packet = new MqttUnsubAckPacket { PacketId = NonZeroId(ref reader, MqttPacketType.UnsubAck) };
        if (V5)
        {
            var p = MqttProperties.Read(ref reader, PropertyContext.UnsubAck);
            packet.ReasonString = p.ReasonString;
            packet.UserProperties = p.User;
            var codes = new MqttReasonCode[reader.Remaining];
            for (var i = 0; i < codes.Length; i++)
            {
                codes[i] = (MqttReasonCode)reader.ReadByte();
            }
            packet.ReasonCodes = codes;
        }
        End(ref reader, MqttPacketType.UnsubAck);
        return packet;
    }

    private MqttDisconnectPacket DecodeDisconnect(ReadOnlySpan<byte> body)
    {
        var reader = new MqttSpanReader(body);
        var packet = new MqttDisconnectPacket();
        if (V5 && reader.Remaining > 0)
        {
            packet.ReasonCode = (MqttReasonCode)reader.ReadByte();
            if (reader.Remaining > 0)
            {
                var p = MqttProperties.Read(ref reader, PropertyContext.Disconnect);
                packet.SessionExpiryInterval = p.SessionExpiry;
                packet.ReasonString = p.ReasonString;
                packet.ServerReference = p.ServerReference;
                packet.UserProperties = p.User;
            }
        }
        End(ref reader, MqttPacketType.Disconnect);
        return packet;
    }

    private MqttAuthPacket DecodeAuth(ReadOnlySpan<byte> body)
    {
        if (!V5)
        {
            MqttThrow.Malformed("AUTH is not a 3.1.1 packet type");
        }
        var reader = new MqttSpanReader(body);
        var packet = new MqttAuthPacket();
        if (reader.Remaining > 0)
        {
            packet.ReasonCode = (MqttReasonCode)reader.ReadByte();
            var p = MqttProperties.Read(ref reader, PropertyContext.Auth);
            packet.AuthenticationMethod = p.AuthMethod;
            packet.AuthenticationData = p.AuthData;
            packet.ReasonString = p.ReasonString;
            packet.UserProperties = p.User;
        }
        End(ref reader, MqttPacketType.Auth);
        return packet;
    }

    private static ushort NonZeroId(ref MqttSpanReader reader, MqttPacketType type)
    {
        var id = reader.ReadUInt16();
        if (id == 0)
        {
            MqttThrow.Malformed($"{type} with packet identifier 0 [MQTT-2.2.1-3]");
        }
        return id;
    }
}
