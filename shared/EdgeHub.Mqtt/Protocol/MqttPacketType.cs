namespace EdgeHub.Mqtt.Protocol;

/// <summary>Control packet types (MQTT 5 §2.1.2), the high nibble of the first fixed-header byte.</summary>
public enum MqttPacketType : byte
{
    /// <summary>Reserved / invalid.</summary>
    Reserved = 0,
    /// <summary>Client request to connect.</summary>
    Connect = 1,
    /// <summary>Connect acknowledgment.</summary>
    ConnAck = 2,
    /// <summary>Publish message.</summary>
    Publish = 3,
    /// <summary>QoS 1 acknowledgment.</summary>
    PubAck = 4,
    /// <summary>QoS 2 part 1.</summary>
    PubRec = 5,
    /// <summary>QoS 2 part 2.</summary>
    PubRel = 6,
    /// <summary>QoS 2 part 3.</summary>
    PubComp = 7,
    /// <summary>Subscribe request.</summary>
    Subscribe = 8,
    /// <summary>Subscribe acknowledgment.</summary>
    SubAck = 9,
    /// <summary>Unsubscribe request.</summary>
    Unsubscribe = 10,
    /// <summary>Unsubscribe acknowledgment.</summary>
    UnsubAck = 11,
    /// <summary>Ping request.</summary>
    PingReq = 12,
    /// <summary>Ping response.</summary>
    PingResp = 13,
    /// <summary>Disconnect notification.</summary>
    Disconnect = 14,
    /// <summary>Authentication exchange (v5 only).</summary>
    Auth = 15,
}
