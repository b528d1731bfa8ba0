using EdgeHub.Mqtt.Protocol;

namespace EdgeHub.Mqtt.Formatter;

/// <summary>Which packet a property block belongs to; decides which identifiers are allowed (§2.2.2.2 table).</summary>
internal enum PropertyContext
{
    Connect,
    Will,
    ConnAck,
    Publish,
    Ack,
    Subscribe,
    SubAck,
    Unsubscribe,
    UnsubAck,
    Disconnect,
    Auth,
}

/// <summary>A decoded v5 property block. Duplicates of single-valued properties and misplaced properties are protocol errors.</summary>
internal struct MqttProperties
{
    public byte? PayloadFormat;
    public uint? MessageExpiry;
    public string? ContentType;
    public string? ResponseTopic;
    public byte[]? CorrelationData;
    public List<uint>? SubscriptionIds;
    public uint? SessionExpiry;
    public string? AssignedClientId;
    public ushort? ServerKeepAlive;
    public string? AuthMethod;
    public byte[]? AuthData;
    public byte? RequestProblem;
    public uint? WillDelay;
    public byte? RequestResponse;
    public string? ResponseInfo;
    public string? ServerReference;
    public string? ReasonString;
    public ushort? ReceiveMaximum;
    public ushort? TopicAliasMaximum;
    public ushort? TopicAlias;
    public byte? MaximumQos;
    public byte? RetainAvailable;
    public List<KeyValuePair<string, string>>? User;
    public uint? MaximumPacketSize;
    public byte? WildcardAvailable;
    public byte? SubIdAvailable;
    public byte? SharedAvailable;

    private static ulong Bits(params MqttPropertyId[] ids)
    {
        ulong m = 1UL << (int)MqttPropertyId.UserProperty;
        foreach (var id in ids)
        {
            m |= 1UL << (int)id;
        }
        return m;
    }

    private static readonly ulong[] s_allowed =
    [
        Bits(MqttPropertyId.SessionExpiryInterval, MqttPropertyId.AuthenticationMethod, MqttPropertyId.AuthenticationData,
            MqttPropertyId.RequestProblemInformation, MqttPropertyId.RequestResponseInformation, MqttPropertyId.ReceiveMaximum,
            MqttPropertyId.TopicAliasMaximum, MqttPropertyId.MaximumPacketSize),
        Bits(MqttPropertyId.PayloadFormatIndicator, MqttPropertyId.MessageExpiryInterval, MqttPropertyId.ContentType,
            MqttPropertyId.ResponseTopic, MqttPropertyId.CorrelationData, MqttPropertyId.WillDelayInterval),
        Bits(MqttPropertyId.SessionExpiryInterval, MqttPropertyId.AssignedClientIdentifier, MqttPropertyId.ServerKeepAlive,
            MqttPropertyId.AuthenticationMethod, MqttPropertyId.AuthenticationData, MqttPropertyId.ResponseInformation,
            MqttPropertyId.ServerReference, MqttPropertyId.ReasonString, MqttPropertyId.ReceiveMaximum, MqttPropertyId.TopicAliasMaximum,
            MqttPropertyId.MaximumQos, MqttPropertyId.RetainAvailable, MqttPropertyId.MaximumPacketSize,
            MqttPropertyId.WildcardSubscriptionAvailable, MqttPropertyId.SubscriptionIdentifierAvailable, MqttPropertyId.SharedSubscriptionAvailable),
        Bits(MqttPropertyId.PayloadFormatIndicator, MqttPropertyId.MessageExpiryInterval, MqttPropertyId.ContentType,
            MqttPropertyId.ResponseTopic, MqttPropertyId.CorrelationData, MqttPropertyId.SubscriptionIdentifier, MqttPropertyId.TopicAlias),
        Bits(MqttPropertyId.ReasonString),
        Bits(MqttPropertyId.SubscriptionIdentifier),
        Bits(MqttPropertyId.ReasonString),
        Bits(),
        Bits(MqttPropertyId.ReasonString),
        Bits(MqttPropertyId.SessionExpiryInterval, MqttPropertyId.ServerReference, MqttPropertyId.ReasonString),
        Bits(MqttPropertyId.AuthenticationMethod, MqttPropertyId.AuthenticationData, MqttPropertyId.ReasonString),
    ];

    /// <summary>Reads the property length and the properties it covers.</summary>
    public static MqttProperties Read(ref MqttSpanReader reader, PropertyContext context)
    {
        var props = default(MqttProperties);
        var length = reader.ReadVariableInt();
        if (length > reader.Remaining)
        {
            MqttThrow.Malformed($"property length {length} runs past the end of the packet");
        }
        var end = reader.Position + (int)length;
        var allowed = s_allowed[(int)context];
        ulong seen = 0;
        while (reader.Position < end)
        {
            var idValue = reader.ReadVariableInt();
            if (idValue > 63 || (allowed & (1UL << (int)idValue)) == 0)
            {
                MqttThrow.Protocol($"property 0x{idValue:X2} is not allowed in {context} [MQTT-2.2.2-2]");
            }
            var id = (MqttPropertyId)idValue;
            var repeatable = id == MqttPropertyId.UserProperty || (id == MqttPropertyId.SubscriptionIdentifier && context == PropertyContext.Publish);
            if (!repeatable && (seen & (1UL << (int)id)) != 0)
            {
                MqttThrow.Protocol($"property {id} appears more than once");
            }
            seen |= 1UL << (int)id;
            props.ReadOne(ref reader, id);
        }
        if (reader.Position != end)
        {
            MqttThrow.Malformed("properties overrun their declared length");
        }
        return props;
    }

    private void ReadOne(ref MqttSpanReader reader, MqttPropertyId id)
    {
        switch (id)
        {
            case MqttPropertyId.PayloadFormatIndicator: PayloadFormat = Bool(ref reader, id); break;
            case MqttPropertyId.MessageExpiryInterval: MessageExpiry = reader.ReadUInt32(); break;
            case MqttPropertyId.ContentType: ContentType = reader.ReadString(); break;
            case MqttPropertyId.ResponseTopic: ResponseTopic = reader.ReadString(); break;
            case MqttPropertyId.CorrelationData: CorrelationData = reader.ReadBinary(); break;
            case MqttPropertyId.SubscriptionIdentifier:
                var subId = reader.ReadVariableInt();
                if (subId == 0)
                {
                    MqttThrow.Protocol("subscription identifier 0 [MQTT-3.8.2.1.2]");
                }
                (SubscriptionIds ??= []).Add(subId);
                break;
            case MqttPropertyId.SessionExpiryInterval: SessionExpiry = reader.ReadUInt32(); break;
            case MqttPropertyId.AssignedClientIdentifier: AssignedClientId = reader.ReadString(); break;
            case MqttPropertyId.ServerKeepAlive: ServerKeepAlive = reader.ReadUInt16(); break;
            case MqttPropertyId.AuthenticationMethod: AuthMethod = reader.ReadString(); break;
            case MqttPropertyId.AuthenticationData: AuthData = reader.ReadBinary(); break;
            case MqttPropertyId.RequestProblemInformation: RequestProblem = Bool(ref reader, id); break;
            case MqttPropertyId.WillDelayInterval: WillDelay = reader.ReadUInt32(); break;
            case MqttPropertyId.RequestResponseInformation: RequestResponse = Bool(ref reader, id); break;
            case MqttPropertyId.ResponseInformation: ResponseInfo = reader.ReadString(); break;
            case MqttPropertyId.ServerReference: ServerReference = reader.ReadString(); break;
            case MqttPropertyId.ReasonString: ReasonString = reader.ReadString(); break;
            case MqttPropertyId.ReceiveMaximum: ReceiveMaximum = NonZero16(ref reader, id); break;
            case MqttPropertyId.TopicAliasMaximum: TopicAliasMaximum = reader.ReadUInt16(); break;
            case MqttPropertyId.TopicAlias: TopicAlias = NonZero16(ref reader, id); break;
            case MqttPropertyId.MaximumQos: MaximumQos = Bool(ref reader, id); break;
            case MqttPropertyId.RetainAvailable: RetainAvailable = Bool(ref reader, id); break;
            case MqttPropertyId.UserProperty:
                var key = reader.ReadString();
                var value = reader.ReadString();
                (User ??= []).Add(new KeyValuePair<string, string>(key, value));
                break;
            case MqttPropertyId.MaximumPacketSize:
                MaximumPacketSize = reader.ReadUInt32();
                if (MaximumPacketSize == 0)
                {
                    MqttThrow.Protocol("maximum packet size 0 [MQTT-3.1.2.11.4]");
                }
                break;
            case MqttPropertyId.WildcardSubscriptionAvailable: WildcardAvailable = Bool(ref reader, id); break;
            case MqttPropertyId.SubscriptionIdentifierAvailable: SubIdAvailable = Bool(ref reader, id); break;
            case MqttPropertyId.SharedSubscriptionAvailable: SharedAvailable = Bool(ref reader, id); break;
            default:
                MqttThrow.Protocol($"unknown property 0x{(byte)id:X2}");
                break;
        }
    }

    private static byte Bool(ref MqttSpanReader reader, MqttPropertyId id)
    {
        var b = reader.ReadByte();
        if (b > 1)
        {
            MqttThrow.Protocol($"property {id} must be 0 or 1, was {b}");
        }
        return b;
    }

    private static ushort NonZero16(ref MqttSpanReader reader, MqttPropertyId id)
    {
        var v = reader.ReadUInt16();
        if (v == 0)
        {
            MqttThrow.Protocol($"property {id} must not be 0");
        }
        return v;
    }
}
