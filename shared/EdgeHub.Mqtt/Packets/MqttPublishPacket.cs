using EdgeHub.Mqtt.Protocol;

namespace EdgeHub.Mqtt.Packets;

/// <summary>PUBLISH (§3.3). On decode, <see cref="Payload"/> points into the receive buffer and is valid until the next read.</summary>
public sealed class MqttPublishPacket : MqttPacket
{
    /// <inheritdoc />
    public override MqttPacketType Type => MqttPacketType.Publish;
    /// <summary>Topic name; may be empty in v5 when <see cref="TopicAlias"/> is set.</summary>
    public string Topic { get; set; } = "";
    /// <summary>Packet identifier (QoS &gt; 0).</summary>
    public ushort PacketId { get; set; }
    /// <summary>Quality of service.</summary>
    public MqttQos Qos { get; set; }
    /// <summary>Retain flag.</summary>
    public bool Retain { get; set; }
    /// <summary>DUP flag (redelivery).</summary>
    public bool Dup { get; set; }
    /// <summary>Application payload.</summary>
    public ReadOnlyMemory<byte> Payload { get; set; }
    /// <summary>v5 payload format indicator (true = UTF-8).</summary>
    public bool PayloadIsUtf8 { get; set; }
    /// <summary>v5 message expiry interval.</summary>
    public uint? MessageExpiryInterval { get; set; }
    /// <summary>v5 topic alias, 0 = none.</summary>
    public ushort TopicAlias { get; set; }
    /// <summary>v5 response topic.</summary>
    public string? ResponseTopic { get; set; }
    /// <summary>v5 correlation data.</summary>
    public ReadOnlyMemory<byte> CorrelationData { get; set; }
    /// <summary>v5 subscription identifiers.</summary>
    public IReadOnlyList<uint>? SubscriptionIdentifiers { get; set; }
    /// <summary>v5 content type.</summary>
    public string? ContentType { get; set; }
}
