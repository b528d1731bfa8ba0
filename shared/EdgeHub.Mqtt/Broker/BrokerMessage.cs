using EdgeHub.Mqtt.Packets;

namespace EdgeHub.Mqtt.Broker;

/// <summary>
/// An immutable message inside the broker, shared by every session and connection it is routed to. A payload that
/// arrived over the network is copied once out of the receive buffer into a pooled array; every holder (an outbound
/// queue entry, an in-flight or queued session entry) takes a reference with <see cref="AddRef"/> and gives it back
/// with <see cref="Release"/>, and the last release returns the array to the pool. Unpooled messages (wills, retained,
/// restored from disk, larger than <see cref="MaxPooledPayload"/>) ignore the counting and are left to the GC.
/// </summary>
internal sealed class BrokerMessage
{
    /// <summary>Payloads above this size get an exact array (a pool of huge arrays would pin memory).</summary>
    internal const int MaxPooledPayload = 64 * 1024;

    private byte[]? _rented;
    private int _refs = 1;

    public required string Topic { get; init; }
    public required ReadOnlyMemory<byte> Payload { get; init; }
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

    /// <summary>True while the payload lives in a pooled array (tests check that every reference was given back).</summary>
    internal bool IsPooled => Volatile.Read(ref _rented) != null;

    public bool IsExpired(long now) => MessageExpiryInterval is { } e && now - ReceivedAt >= e * 1000L;

    /// <summary>Remaining expiry to forward (§3.3.2.3.3: the server sends the interval minus the time spent waiting).</summary>
    public uint? RemainingExpiry(long now) =>
        MessageExpiryInterval is { } e ? (uint)Math.Max(0, e - ((now - ReceivedAt) / 1000)) : null;

    /// <summary>Takes one more reference for a new holder of the message; returns this.</summary>
    public BrokerMessage AddRef()
    {
        if (_rented != null)
        {
            Interlocked.Increment(ref _refs);
        }
        return this;
    }

    /// <summary>Gives one reference back; the last one returns a pooled payload to the pool.</summary>
    public void Release()
    {
        if (_rented != null && Interlocked.Decrement(ref _refs) == 0)
        {
            var rented = Interlocked.Exchange(ref _rented, null);
            if (rented != null)
            {
                PayloadPool.Return(rented);
            }
        }
    }

    /// <summary>A copy whose payload is an exact, unpooled array (for long-lived holders: the retained store).</summary>
    public BrokerMessage ToUnpooled() => _rented is null ? this : new BrokerMessage
    {
        Topic = Topic,
        Payload = Payload.ToArray(),
        Qos = Qos,
        Retain = Retain,
        PayloadIsUtf8 = PayloadIsUtf8,
        ContentType = ContentType,
        ResponseTopic = ResponseTopic,
        CorrelationData = CorrelationData,
        UserProperties = UserProperties,
        MessageExpiryInterval = MessageExpiryInterval,
        ReceivedAt = ReceivedAt,
        SenderClientId = SenderClientId,
    };

    /// <summary>A message from a decoded PUBLISH (whose payload points into the receive buffer): one reference, held by the caller.</summary>
    public static BrokerMessage From(MqttPublishPacket p, string topic, string? sender)
    {
        var source = p.Payload.Span;
        byte[]? rented = null;
        ReadOnlyMemory<byte> payload;
        if (source.IsEmpty)
        {
            payload = ReadOnlyMemory<byte>.Empty;
        }
        else if (source.Length <= MaxPooledPayload)
        {
            rented = PayloadPool.Rent(source.Length);
            source.CopyTo(rented);
            payload = rented.AsMemory(0, source.Length);
        }
        else
        {
            payload = source.ToArray();
        }
        return new BrokerMessage
        {
            _rented = rented,
            Topic = topic,
            Payload = payload,
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
    }

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
