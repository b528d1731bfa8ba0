using EdgeHub.Mqtt.Protocol;

namespace EdgeHub.Mqtt.Packets;

/// <summary>CONNACK (§3.2).</summary>
public sealed class MqttConnAckPacket : MqttPacket
{
    /// <inheritdoc />
    public override MqttPacketType Type => MqttPacketType.ConnAck;
    /// <summary>The server resumed a stored session.</summary>
    public bool SessionPresent { get; set; }
    /// <summary>Reason code (v5 numbering; 3.1.1 return codes are mapped).</summary>
    public MqttReasonCode ReasonCode { get; set; }
    /// <summary>v5 session expiry interval chosen by the server.</summary>
    public uint? SessionExpiryInterval { get; set; }
    /// <summary>v5 receive maximum of the server (65,535 when absent).</summary>
    public ushort ReceiveMaximum { get; set; } = ushort.MaxValue;
    /// <summary>v5 maximum QoS the server supports (2 when absent).</summary>
    public MqttQos MaximumQos { get; set; } = MqttQos.ExactlyOnce;
    /// <summary>v5 retain available (true when absent).</summary>
    public bool RetainAvailable { get; set; } = true;
    /// <summary>v5 maximum packet size the server accepts, 0 = no limit.</summary>
    public uint MaximumPacketSize { get; set; }
    /// <summary>v5 client identifier assigned by the server.</summary>
    public string? AssignedClientIdentifier { get; set; }
    /// <summary>v5 topic alias maximum of the server.</summary>
    public ushort TopicAliasMaximum { get; set; }
    /// <summary>v5 reason string.</summary>
    public string? ReasonString { get; set; }
    /// <summary>v5 wildcard subscriptions available (true when absent).</summary>
    public bool WildcardSubscriptionAvailable { get; set; } = true;
    /// <summary>v5 subscription identifiers available (true when absent).</summary>
    public bool SubscriptionIdentifiersAvailable { get; set; } = true;
    /// <summary>v5 shared subscriptions available (true when absent).</summary>
    public bool SharedSubscriptionAvailable { get; set; } = true;
    /// <summary>v5 server keep alive overriding the client's.</summary>
    public ushort? ServerKeepAlive { get; set; }
    /// <summary>v5 response information.</summary>
    public string? ResponseInformation { get; set; }
    /// <summary>v5 server reference.</summary>
    public string? ServerReference { get; set; }
    /// <summary>v5 authentication method.</summary>
    public string? AuthenticationMethod { get; set; }
    /// <summary>v5 authentication data.</summary>
    public byte[]? AuthenticationData { get; set; }
}
