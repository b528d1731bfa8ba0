namespace EdgeHub.Mqtt.Protocol;

/// <summary>MQTT 5 property identifiers (§2.2.2.2).</summary>
public enum MqttPropertyId : byte
{
    /// <summary>Byte.</summary>
    PayloadFormatIndicator = 0x01,
    /// <summary>Four byte integer.</summary>
    MessageExpiryInterval = 0x02,
    /// <summary>UTF-8 string.</summary>
    ContentType = 0x03,
    /// <summary>UTF-8 string.</summary>
    ResponseTopic = 0x08,
    /// <summary>Binary data.</summary>
    CorrelationData = 0x09,
    /// <summary>Variable byte integer.</summary>
    SubscriptionIdentifier = 0x0B,
    /// <summary>Four byte integer.</summary>
    SessionExpiryInterval = 0x11,
    /// <summary>UTF-8 string.</summary>
    AssignedClientIdentifier = 0x12,
    /// <summary>Two byte integer.</summary>
    ServerKeepAlive = 0x13,
    /// <summary>UTF-8 string.</summary>
    AuthenticationMethod = 0x15,
    /// <summary>Binary data.</summary>
    AuthenticationData = 0x16,
    /// <summary>Byte.</summary>
    RequestProblemInformation = 0x17,
    /// <summary>Four byte integer.</summary>
    WillDelayInterval = 0x18,
    /// <summary>Byte.</summary>
    RequestResponseInformation = 0x19,
    /// <summary>UTF-8 string.</summary>
    ResponseInformation = 0x1A,
    /// <summary>UTF-8 string.</summary>
    ServerReference = 0x1C,
    /// <summary>UTF-8 string.</summary>
    ReasonString = 0x1F,
    /// <summary>Two byte integer.</summary>
    ReceiveMaximum = 0x21,
    /// <summary>Two byte integer.</summary>
    TopicAliasMaximum = 0x22,
    /// <summary>Two byte integer.</summary>
    TopicAlias = 0x23,
    /// <summary>Byte.</summary>
    MaximumQos = 0x24,
    /// <summary>Byte.</summary>
    RetainAvailable = 0x25,
    /// <summary>UTF-8 string pair.</summary>
    UserProperty = 0x26,
    /// <summary>Four byte integer.</summary>
    MaximumPacketSize = 0x27,
    /// <summary>Byte.</summary>
    WildcardSubscriptionAvailable = 0x28,
    /// <summary>Byte.</summary>
    SubscriptionIdentifierAvailable = 0x29,
    /// <summary>Byte.</summary>
    SharedSubscriptionAvailable = 0x2A,
}
