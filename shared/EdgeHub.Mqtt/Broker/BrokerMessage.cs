using EdgeHub.Mqtt.Packets;

namespace EdgeHub.Mqtt.Broker;

/// <summary>An immutable message inside the broker, shared by every session it is routed to (payload copied once).</summary>
internal sealed class BrokerMessage
{
    public required string Topic { get; init; }
    public required byte[] Payload { get; init; }
    public MqttQos Qos { get; init; }
    public bool Retain { get; init; }
    public bool PayloadIsUtf8 { get; init; }
    public string? ContentType { get; init; }
    public string? ResponseTopic { get; init; }
    public ReadOnlyMemory<byte> CorrelationData { get; init; }
    public IReadOnlyList<KeyValuePair<string, string>>? UserProperties { get; init; }
    public uint? MessageExpiryInterval { get; init; }
    /// <summary>Environment.TickCount64 when the message arrived (for the expiry interval).</summary>
    public long ReceivedAt { get; init; } = Environment.TickCount64;
    /// <summary>Client that published it (for the No Local option); null for wills published after session end.</summary>
    public string? SenderClientId { get; init; }

    public bool IsExpired(long now) => MessageExpiryInterval is { } e && now - ReceivedAt >= e * 1000L;

    /// <summary>Remaining expiry to forward (§3.3.2.3.3: the server sends the interval minus the time spent waiting).</summary>
    public uint? RemainingExpiry(long now) =>
        MessageExpiryInterval is { } e ? (uint)Math.Max(0, e - ((now - ReceivedAt) / 1000)) : null;

    public static BrokerMessage From(MqttPublishPacket p, string topic, string? sender) => new()
    {
        Topic = topic,
        Payload = p.Payload.ToArray(),
        Qos = p.Qos,
        Retain = p.Retain,
        PayloadIsUtf8 = p.PayloadIsUtf8,
        ContentType = p.ContentType,
        ResponseTopic = p.ResponseTopic,
        CorrelationData = p.CorrelationData,
        UserProperties = p.UserProperties,
        MessageExpiryInterval = p.MessageExpiryInterval,
        SenderClientId = sender,
    };

    public static BrokerMessage From(MqttApplicationMessage m, string? sender) => new()
    {
        Topic = m.Topic,
        Payload = m.Payload.ToArray(),
        Qos = m.Qos,
        Retain = m.Retain,
        PayloadIsUtf8 = m.PayloadIsUtf8,
        ContentType = m.ContentType,
        ResponseTopic = m.ResponseTopic,
        CorrelationData = m.CorrelationData,
        UserProperties = m.UserProperties,
        MessageExpiryInterval = m.MessageExpiryInterval,
        SenderClientId = sender,
    };
}

/// <summary>One subscription of one session (shared subscriptions carry their group).</summary>
internal sealed class BrokerSubscription
{
    public BrokerSubscription(BrokerSession session, string filter, string topicFilter, string? shareGroup, MqttSubscription options)
    {
        Session = session;
        Filter = filter;
        TopicFilter = topicFilter;
        ShareGroup = shareGroup;
        Qos = options.Qos;
        NoLocal = options.NoLocal;
        RetainAsPublished = options.RetainAsPublished;
        RetainHandling = options.RetainHandling;
        SubscriptionIdentifier = options.SubscriptionIdentifier;
        SubscriptionIds = options.SubscriptionIdentifier != 0 ? [options.SubscriptionIdentifier] : null;
    }

    public BrokerSession Session { get; }
    /// <summary>The filter as subscribed (with the $share prefix).</summary>
    public string Filter { get; }
    /// <summary>The filter matched against topics (without the $share prefix).</summary>
    public string TopicFilter { get; }
    public string? ShareGroup { get; }
    public MqttQos Qos { get; }
    public bool NoLocal { get; }
    public bool RetainAsPublished { get; }
    public MqttRetainHandling RetainHandling { get; }
    public uint SubscriptionIdentifier { get; }
    public uint[]? SubscriptionIds { get; }
}
