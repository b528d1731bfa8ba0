using EdgeHub.Mqtt.Protocol;

namespace EdgeHub.Mqtt.Packets;

/// <summary>CONNECT (§3.1).</summary>
public sealed class MqttConnectPacket : MqttPacket
{
    /// <inheritdoc />
    public override MqttPacketType Type => MqttPacketType.Connect;
    /// <summary>Protocol level (4 or 5).</summary>
    public MqttProtocolVersion ProtocolVersion { get; set; } = MqttProtocolVersion.V500;
    /// <summary>Client identifier (may be empty: the server assigns one).</summary>
    public string ClientId { get; set; } = "";
    /// <summary>Clean start (v5) / clean session (3.1.1).</summary>
    public bool CleanStart { get; set; } = true;
    /// <summary>Keep alive in seconds, 0 = off.</summary>
    public ushort KeepAlive { get; set; }
    /// <summary>User name, null when absent.</summary>
    public string? Username { get; set; }
    /// <summary>Password (binary data), null when absent.</summary>
    public byte[]? Password { get; set; }
    /// <summary>Will message, null when absent.</summary>
    public MqttApplicationMessage? Will { get; set; }
    /// <summary>v5 will delay interval (seconds).</summary>
    public uint WillDelayInterval { get; set; }
    /// <summary>v5 session expiry interval (seconds).</summary>
    public uint SessionExpiryInterval { get; set; }
    /// <summary>v5 receive maximum (65,535 when absent).</summary>
    public ushort ReceiveMaximum { get; set; } = ushort.MaxValue;
    /// <summary>v5 maximum packet size the client accepts, 0 = no limit.</summary>
    public uint MaximumPacketSize { get; set; }
    /// <summary>v5 topic alias maximum the client accepts.</summary>
    public ushort TopicAliasMaximum { get; set; }
    /// <summary>v5 request response information.</summary>
    public bool RequestResponseInformation { get; set; }
    /// <summary>v5 request problem information (default true).</summary>
    public bool RequestProblemInformation { get; set; } = true;
    /// <summary>v5 authentication method.</summary>
    public string? AuthenticationMethod { get; set; }
    /// <summary>v5 authentication data.</summary>
    public byte[]? AuthenticationData { get; set; }
}
