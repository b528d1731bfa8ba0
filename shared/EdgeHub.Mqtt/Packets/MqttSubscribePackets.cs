using EdgeHub.Mqtt.Protocol;

namespace EdgeHub.Mqtt.Packets;

/// <summary>SUBSCRIBE (§3.8).</summary>
public sealed class MqttSubscribePacket : MqttPacket
{
    /// <inheritdoc />
    public override MqttPacketType Type => MqttPacketType.Subscribe;
    /// <summary>Packet identifier.</summary>
    public ushort PacketId { get; set; }
    /// <summary>v5 subscription identifier, 0 = none.</summary>
    public uint SubscriptionIdentifier { get; set; }
    /// <summary>Topic filters with options (at least one).</summary>
    public IReadOnlyList<MqttSubscription> Subscriptions { get; set; } = [];
}

/// <summary>SUBACK (§3.9).</summary>
public sealed class MqttSubAckPacket : MqttPacket
{
    /// <inheritdoc />
    public override MqttPacketType Type => MqttPacketType.SubAck;
    /// <summary>Packet identifier.</summary>
    public ushort PacketId { get; set; }
    /// <summary>One reason code per requested filter (granted QoS or failure).</summary>
    public IReadOnlyList<MqttReasonCode> ReasonCodes { get; set; } = [];
    /// <summary>v5 reason string.</summary>
    public string? ReasonString { get; set; }
}

/// <summary>UNSUBSCRIBE (§3.10).</summary>
public sealed class MqttUnsubscribePacket : MqttPacket
{
    /// <inheritdoc />
    public override MqttPacketType Type => MqttPacketType.Unsubscribe;
    /// <summary>Packet identifier.</summary>
    public ushort PacketId { get; set; }
    /// <summary>Topic filters (at least one).</summary>
    public IReadOnlyList<string> TopicFilters { get; set; } = [];
}

/// <summary>UNSUBACK (§3.11); 3.1.1 carries no reason codes.</summary>
public sealed class MqttUnsubAckPacket : MqttPacket
{
    /// <inheritdoc />
    public override MqttPacketType Type => MqttPacketType.UnsubAck;
    /// <summary>Packet identifier.</summary>
    public ushort PacketId { get; set; }
    /// <summary>v5: one reason code per filter.</summary>
    public IReadOnlyList<MqttReasonCode> ReasonCodes { get; set; } = [];
    /// <summary>v5 reason string.</summary>
    public string? ReasonString { get; set; }
}
