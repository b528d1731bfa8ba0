namespace EdgeHub.Mqtt;

/// <summary>An application message as published or received.</summary>
public sealed class MqttApplicationMessage
{
    /// <summary>Topic name (no wildcards).</summary>
    public required string Topic { get; init; }
    /// <summary>Payload bytes. On receipt, valid only during the <see cref="MqttClient.MessageReceived"/> call.</summary>
    public ReadOnlyMemory<byte> Payload { get; init; }
    /// <summary>Quality of service.</summary>
    public MqttQos Qos { get; init; }
    /// <summary>Retain flag.</summary>
    public bool Retain { get; init; }
    /// <summary>v5 content type property.</summary>
    public string? ContentType { get; init; }
    /// <summary>v5 response topic property.</summary>
    public string? ResponseTopic { get; init; }
    /// <summary>v5 correlation data property.</summary>
    public ReadOnlyMemory<byte> CorrelationData { get; init; }
    /// <summary>v5 message expiry interval in seconds.</summary>
    public uint? MessageExpiryInterval { get; init; }
    /// <summary>v5 user properties.</summary>
    public IReadOnlyList<KeyValuePair<string, string>>? UserProperties { get; init; }
    /// <summary>v5 payload format indicator (true = UTF-8 text).</summary>
    public bool PayloadIsUtf8 { get; init; }
    /// <summary>v5 subscription identifiers of the matching subscriptions (received messages only).</summary>
    public IReadOnlyList<uint>? SubscriptionIdentifiers { get; init; }
    /// <summary>True when this is a redelivery (DUP flag).</summary>
    public bool Duplicate { get; init; }
}
