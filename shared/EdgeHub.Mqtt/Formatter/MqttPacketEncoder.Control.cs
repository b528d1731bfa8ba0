using EdgeHub.Mqtt.Packets;
using EdgeHub.Mqtt.Protocol;

namespace EdgeHub.Mqtt.Formatter;

/// <summary>Encoding of the connection and subscription control packets.</summary>
public sealed partial class MqttPacketEncoder
{
    private ReadOnlyMemory<byte> EncodeConnect(MqttConnectPacket c)
    {
        _body.WriteString("MQTT");
        _body.WriteByte((byte)c.ProtocolVersion);
        var flags = 0;
        if (c.Username != null)
        {
            flags |= 0x80;
        }
        if (c.Password != null)
        {
            flags |= 0x40;
        }
        if (c.Will is { } will)
        {
            flags |= 0x04 | ((int)will.Qos << 3) | (will.Retain ? 0x20 : 0);
        }
        if (c.CleanStart)
        {
            flags |= 0x02;
        }
        _body.WriteByte((byte)flags);
        _body.WriteUInt16(c.KeepAlive);
        var v5 = c.ProtocolVersion == MqttProtocolVersion.V500;
        if (v5)
        {
            BeginProperties();
            if (c.SessionExpiryInterval != 0)
            {
                PropUInt32(MqttPropertyId.SessionExpiryInterval, c.SessionExpiryInterval);
            }
            if (c.ReceiveMaximum != ushort.MaxValue)
            {
                PropUInt16(MqttPropertyId.ReceiveMaximum, c.ReceiveMaximum);
            }
            if (c.MaximumPacketSize != 0)
            {
                PropUInt32(MqttPropertyId.MaximumPacketSize, c.MaximumPacketSize);
            }
            if (c.TopicAliasMaximum != 0)
            {
                PropUInt16(MqttPropertyId.TopicAliasMaximum, c.TopicAliasMaximum);
            }
            if (c.RequestResponseInformation)
            {
                PropByte(MqttPropertyId.RequestResponseInformation, 1);
            }
            if (!c.RequestProblemInformation)
            {
                PropByte(MqttPropertyId.RequestProblemInformation, 0);
            }
            WriteUserProperties(c.UserProperties);
            PropString(MqttPropertyId.AuthenticationMethod, c.AuthenticationMethod);
            if (c.AuthenticationData != null)
            {
                PropBinary(MqttPropertyId.AuthenticationData, c.AuthenticationData);
            }
            EndProperties();
        }
        _body.WriteString(c.ClientId);
        if (c.Will is { } w)
        {
            if (v5)
            {
                BeginProperties();
                if (c.WillDelayInterval != 0)
                {
                    PropUInt32(MqttPropertyId.WillDelayInterval, c.WillDelayInterval);
                }
                if (w.PayloadIsUtf8)
                {
                    PropByte(MqttPropertyId.PayloadFormatIndicator, 1);
                }
                if (w.MessageExpiryInterval is { } exp)
                {
                    PropUInt32(MqttPropertyId.MessageExpiryInterval, exp);
                }
                PropString(MqttPropertyId.ContentType, w.ContentType);
                PropString(MqttPropertyId.ResponseTopic, w.ResponseTopic);
                if (!w.CorrelationData.IsEmpty)
                {
                    PropBinary(MqttPropertyId.CorrelationData, w.CorrelationData.Span);
                }
                WriteUserProperties(w.UserProperties);
                EndProperties();
            }
            _body.WriteString(w.Topic);
            _body.WriteBinary(w.Payload.Span);
        }
        if (c.Username != null)
        {
            _body.WriteString(c.Username);
        }
        if (c.Password != null)
        {
            _body.WriteBinary(c.Password);
        }
        return _body.Complete(0x10);
    }

    private ReadOnlyMemory<byte> EncodeConnAck(MqttConnAckPacket c)
    {
        _body.WriteByte(c.SessionPresent ? (byte)1 : (byte)0);
        if (!V5)
        {
            _body.WriteByte(MqttConnectReturnCode.ToV311(c.ReasonCode));
            return _body.Complete(0x20);
        }
        _body.WriteByte((byte)c.ReasonCode);
        BeginProperties();
        if (c.SessionExpiryInterval is { } sei)
        {
            PropUInt32(MqttPropertyId.SessionExpiryInterval, sei);
        }
        if (c.ReceiveMaximum != ushort.MaxValue)
        {
            PropUInt16(MqttPropertyId.ReceiveMaximum, c.ReceiveMaximum);
        }
        if (c.MaximumQos != MqttQos.ExactlyOnce)
        {
            PropByte(MqttPropertyId.MaximumQos, (byte)c.MaximumQos);
        }
        if (!c.RetainAvailable)
        {
            PropByte(MqttPropertyId.RetainAvailable, 0);
        }
        if (c.MaximumPacketSize != 0)
        {
            PropUInt32(MqttPropertyId.MaximumPacketSize, c.MaximumPacketSize);
        }
        PropString(MqttPropertyId.AssignedClientIdentifier, c.AssignedClientIdentifier);
        if (c.TopicAliasMaximum != 0)
        {
            PropUInt16(MqttPropertyId.TopicAliasMaximum, c.TopicAliasMaximum);
        }
        PropString(MqttPropertyId.ReasonString, c.ReasonString);
        WriteUserProperties(c.UserProperties);
        if (!c.WildcardSubscriptionAvailable)
        {
            PropByte(MqttPropertyId.WildcardSubscriptionAvailable, 0);
        }
        if (!c.SubscriptionIdentifiersAvailable)
        {
            PropByte(MqttPropertyId.SubscriptionIdentifierAvailable, 0);
        }
        if (!c.SharedSubscriptionAvailable)
        {
            PropByte(MqttPropertyId.SharedSubscriptionAvailable, 0);
        }
        if (c.ServerKeepAlive is { } ka)
        {
            PropUInt16(MqttPropertyId.ServerKeepAlive, ka);
        }
        PropString(MqttPropertyId.ResponseInformation, c.ResponseInformation);
        PropString(MqttPropertyId.ServerReference, c.ServerReference);
        PropString(MqttPropertyId.AuthenticationMethod, c.AuthenticationMethod);
        if (c.AuthenticationData != null)
        {
            PropBinary(MqttPropertyId.AuthenticationData, c.AuthenticationData);
        }
        EndProperties();
        return _body.Complete(0x20);
    }

    private ReadOnlyMemory<byte> EncodeSubscribe(MqttSubscribePacket s)
    {
        _body.WriteUInt16(s.PacketId);
        if (V5)
        {
            BeginProperties();
            if (s.SubscriptionIdentifier != 0)
            {
                _props.WriteByte((byte)MqttPropertyId.SubscriptionIdentifier);
                _props.WriteVariableInt(s.SubscriptionIdentifier);
            }
            WriteUserProperties(s.UserProperties);
            EndProperties();
        }
        foreach (var sub in s.Subscriptions)
        {
            _body.WriteString(sub.TopicFilter);
            var options = (byte)sub.Qos;
            if (V5)
            {
                options |= (byte)((sub.NoLocal ? 0x04 : 0) | (sub.RetainAsPublished ? 0x08 : 0) | ((int)sub.RetainHandling << 4));
            }
            _body.WriteByte(options);
        }
        return _body.Complete(0x82);
    }

    private ReadOnlyMemory<byte> EncodeSubAck(MqttSubAckPacket s)
    {
        _body.WriteUInt16(s.PacketId);
        if (V5)
        {
            WriteReasonProperties(s.ReasonString, s.UserProperties);
        }
        foreach (var code in s.ReasonCodes)
        {
            // 3.1.1 SUBACK knows only 0, 1, 2 and 0x80 (§3.9.3 of 3.1.1).
            _body.WriteByte(V5 || (byte)code <= 2 ? (byte)code : (byte)0x80);
        }
        return _body.Complete(0x90);
    }

    private ReadOnlyMemory<byte> EncodeUnsubscribe(MqttUnsubscribePacket u)
    {
        _body.WriteUInt16(u.PacketId);
        if (V5)
        {
            BeginProperties();
            WriteUserProperties(u.UserProperties);
            EndProperties();
        }
        foreach (var filter in u.TopicFilters)
        {
            _body.WriteString(filter);
        }
        return _body.Complete(0xA2);
    }

    private ReadOnlyMemory<byte> EncodeUnsubAck(MqttUnsubAckPacket u)
    {
        _body.WriteUInt16(u.PacketId);
        if (V5)
        {
            WriteReasonProperties(u.ReasonString, u.UserProperties);
            foreach (var code in u.ReasonCodes)
            {
                _body.WriteByte((byte)code);
            }
        }
        return _body.Complete(0xB0);
    }

    private ReadOnlyMemory<byte> EncodeDisconnect(MqttDisconnectPacket d)
    {
        if (V5)
        {
            var hasProps = d.SessionExpiryInterval != null || d.ReasonString != null || d.ServerReference != null || d.UserProperties is { Count: > 0 };
            if (d.ReasonCode != MqttReasonCode.Success || hasProps)
            {
                _body.WriteByte((byte)d.ReasonCode);
            }
            if (hasProps)
            {
                BeginProperties();
                if (d.SessionExpiryInterval is { } sei)
                {
                    PropUInt32(MqttPropertyId.SessionExpiryInterval, sei);
                }
                PropString(MqttPropertyId.ReasonString, d.ReasonString);
                WriteUserProperties(d.UserProperties);
                PropString(MqttPropertyId.ServerReference, d.ServerReference);
                EndProperties();
            }
        }
        return _body.Complete(0xE0);
    }

    private ReadOnlyMemory<byte> EncodeAuth(MqttAuthPacket a)
    {
        if (!V5)
        {
            throw new MqttProtocolException("AUTH exists only in MQTT 5.0");
        }
        _body.WriteByte((byte)a.ReasonCode);
        BeginProperties();
        PropString(MqttPropertyId.AuthenticationMethod, a.AuthenticationMethod);
        if (a.AuthenticationData != null)
        {
            PropBinary(MqttPropertyId.AuthenticationData, a.AuthenticationData);
        }
        PropString(MqttPropertyId.ReasonString, a.ReasonString);
        WriteUserProperties(a.UserProperties);
        EndProperties();
        return _body.Complete(0xF0);
    }

    private void WriteReasonProperties(string? reason, IReadOnlyList<KeyValuePair<string, string>>? user)
    {
        BeginProperties();
        PropString(MqttPropertyId.ReasonString, reason);
        WriteUserProperties(user);
        EndProperties();
    }
}
