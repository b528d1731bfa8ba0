using EdgeHub.Mqtt.Protocol;

namespace EdgeHub.Mqtt.Packets;

/// <summary>Base of every control packet; one small class per packet type.</summary>
public abstract class MqttPacket
{
    /// <summary>The control packet type.</summary>
    public abstract MqttPacketType Type { get; }
    /// <summary>v5 user properties (null when none).</summary>
    public IReadOnlyList<KeyValuePair<string, string>>? UserProperties { get; set; }
}

/// <summary>PINGREQ (§3.12): no variable header or payload.</summary>
public sealed class MqttPingReqPacket : MqttPacket
{
    /// <summary>The shared instance.</summary>
    public static readonly MqttPingReqPacket Instance = new();
    /// <inheritdoc />
    public override MqttPacketType Type => MqttPacketType.PingReq;
}

/// <summary>PINGRESP (§3.13): no variable header or payload.</summary>
public sealed class MqttPingRespPacket : MqttPacket
{
    /// <summary>The shared instance.</summary>
    public static readonly MqttPingRespPacket Instance = new();
    /// <inheritdoc />
    public override MqttPacketType Type => MqttPacketType.PingResp;
}
