using EdgeHub.Mqtt.Protocol;

namespace EdgeHub.Mqtt.Packets;

/// <summary>Shared shape of PUBACK, PUBREC, PUBREL and PUBCOMP (§3.4–3.7): packet id, reason code, properties.</summary>
public abstract class MqttAckPacket : MqttPacket
{
    /// <summary>Packet identifier being acknowledged.</summary>
    public ushort PacketId { get; set; }
    /// <summary>v5 reason code (0 = success; always success for 3.1.1).</summary>
    public MqttReasonCode ReasonCode { get; set; }
    /// <summary>v5 reason string.</summary>
    public string? ReasonString { get; set; }
}

/// <summary>PUBACK (§3.4).</summary>
public sealed class MqttPubAckPacket : MqttAckPacket
{
    /// <inheritdoc />
    public override MqttPacketType Type => MqttPacketType.PubAck;
}

/// <summary>PUBREC (§3.5).</summary>
public sealed class MqttPubRecPacket : MqttAckPacket
{
    /// <inheritdoc />
    public override MqttPacketType Type => MqttPacketType.PubRec;
}

/// <summary>PUBREL (§3.6).</summary>
public sealed class MqttPubRelPacket : MqttAckPacket
{
    /// <inheritdoc />
    public override MqttPacketType Type => MqttPacketType.PubRel;
}

/// <summary>PUBCOMP (§3.7).</summary>
public sealed class MqttPubCompPacket : MqttAckPacket
{
    /// <inheritdoc />
    public override MqttPacketType Type => MqttPacketType.PubComp;
}
