namespace EdgeHub.Mqtt;

/// <summary>The MQTT protocol level sent in CONNECT (3.1.1 = 4, 5.0 = 5).</summary>
public enum MqttProtocolVersion
{
    /// <summary>MQTT 3.1.1 (protocol level 4).</summary>
    V311 = 4,
    /// <summary>MQTT 5.0 (protocol level 5).</summary>
    V500 = 5,
}

/// <summary>Quality of service of a publication or subscription.</summary>
public enum MqttQos : byte
{
    /// <summary>Fire and forget.</summary>
    AtMostOnce = 0,
    /// <summary>Acknowledged delivery (PUBACK); may duplicate.</summary>
    AtLeastOnce = 1,
    /// <summary>Four-step delivery (PUBREC/PUBREL/PUBCOMP); exactly once.</summary>
    ExactlyOnce = 2,
}

/// <summary>v5 subscription option: when retained messages are sent on subscribe (MQTT 5 §3.8.3.1).</summary>
public enum MqttRetainHandling : byte
{
    /// <summary>Send retained messages at the time of the subscribe.</summary>
    SendAtSubscribe = 0,
    /// <summary>Send retained messages only if the subscription did not exist before.</summary>
    SendAtSubscribeIfNew = 1,
    /// <summary>Never send retained messages for this subscription.</summary>
    DoNotSend = 2,
}

/// <summary>One topic filter with its subscription options.</summary>
public sealed class MqttSubscription
{
    /// <summary>Creates a subscription to <paramref name="topicFilter"/> at <paramref name="qos"/>.</summary>
    public MqttSubscription(string topicFilter, MqttQos qos = MqttQos.AtLeastOnce)
    {
        TopicFilter = topicFilter;
        Qos = qos;
    }

    /// <summary>The topic filter (wildcards <c>+</c> and <c>#</c>; <c>$share/group/filter</c> for shared subscriptions).</summary>
    public string TopicFilter { get; }
    /// <summary>Maximum QoS the subscriber accepts.</summary>
    public MqttQos Qos { get; }
    /// <summary>v5: do not receive own publications.</summary>
    public bool NoLocal { get; init; }
    /// <summary>v5: keep the retain flag of forwarded messages as published.</summary>
    public bool RetainAsPublished { get; init; }
    /// <summary>v5: when retained messages are sent.</summary>
    public MqttRetainHandling RetainHandling { get; init; }
    /// <summary>v5: subscription identifier (1..268,435,455) echoed in matching PUBLISH packets, 0 = none.</summary>
    public uint SubscriptionIdentifier { get; init; }
}
