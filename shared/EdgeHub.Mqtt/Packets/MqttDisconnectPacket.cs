using EdgeHub.Mqtt.Protocol;

namespace EdgeHub.Mqtt.Packets;

/// <summary>DISCONNECT (§3.14).</summary>
public sealed class MqttDisconnectPacket : MqttPacket
{
    /// <inheritdoc />
    public override MqttPacketType Type => MqttPacketType.Disconnect;
    /// <summary>v5 reason code.</summary>
    public MqttReasonCode ReasonCode { get; set; }
    /// <summary>v5 session expiry interval update.</summary>
    public uint? SessionExpiryInterval { get; set; }
    /// <summary>v5 reason string.</summary>
    public string? ReasonString { get; set; }
    /// <summary>v5 server reference.</summary>
    public string? ServerReference { get; set; }
}

/// <summary>AUTH (§3.15, v5 only).</summary>
public sealed class MqttAuthPacket : MqttPacket
{
    /// <inheritdoc />
    public override MqttPacketType Type => MqttPacketType.Auth;
    /// <summary>Reason code (success, continue authentication, re-authenticate).</summary>
    public MqttReasonCode ReasonCode { get; set; }
    /// <summary>Authentication method.</summary>
    public string? AuthenticationMethod { get; set; }
    /// <summary>Authentication data.</summary>
    public byte[]? AuthenticationData { get; set; }
    /// <summary>Reason string.</summary>
    public string? ReasonString { get; set; }
}
