namespace EdgeHub.Mqtt;

/// <summary>Settings of an <see cref="MqttClient"/>.</summary>
public sealed class MqttClientOptions
{
    /// <summary>Broker host name or address.</summary>
    public string Host { get; set; } = "127.0.0.1";
    /// <summary>Broker port.</summary>
    public int Port { get; set; } = 1883;
    /// <summary>Client identifier; empty lets the broker assign one (kept for reconnects).</summary>
    public string ClientId { get; set; } = "";
    /// <summary>Protocol version.</summary>
    public MqttProtocolVersion ProtocolVersion { get; set; } = MqttProtocolVersion.V500;
    /// <summary>Clean start (v5) / clean session (3.1.1) on the first connect. Reconnects resume the session when it persists.</summary>
    public bool CleanStart { get; set; } = true;
    /// <summary>v5 session expiry interval in seconds (0 = ends with the connection; uint.MaxValue = never).</summary>
    public uint SessionExpiryInterval { get; set; }
    /// <summary>Keep alive in seconds (0 = off).</summary>
    public ushort KeepAliveSeconds { get; set; } = 30;
    /// <summary>User name.</summary>
    public string? Username { get; set; }
    /// <summary>Password.</summary>
    public string? Password { get; set; }
    /// <summary>Will message published by the broker if the connection ends without DISCONNECT.</summary>
    public MqttApplicationMessage? Will { get; set; }
    /// <summary>v5 will delay interval in seconds.</summary>
    public uint WillDelayInterval { get; set; }
    /// <summary>Reconnect with jittered exponential backoff after the connection is lost.</summary>
    public bool AutoReconnect { get; set; } = true;
    /// <summary>v5 receive maximum: QoS 1/2 messages the broker may have unacknowledged towards us.</summary>
    public ushort ReceiveMaximum { get; set; } = 1000;
    /// <summary>Publications accepted but not finished (QoS 0: not yet written; QoS 1/2: not yet acknowledged); PublishAsync waits beyond it.</summary>
    public int MaxPendingPublishes { get; set; } = 10000;
    /// <summary>
    /// Received messages not yet handled by <see cref="MqttClient.MessageReceived"/> (queued or in the handler). When
    /// reached, the client stops reading the socket until the handler catches up: the broker meets TCP back-pressure
    /// (and queues or, for QoS 0 beyond its own limit, drops by its policy); the client neither grows nor drops. A
    /// handler that itself waits for the broker (publish, subscribe) keeps reading going while it waits.
    /// </summary>
    public int MaxIncomingMessages { get; set; } = 1000;
    /// <summary>Payload bytes of those messages; the same back-pressure applies when reached (a single larger message is still accepted).</summary>
    public long MaxIncomingBytes { get; set; } = 16L * 1024 * 1024;
    /// <summary>TLS; null = plain TCP.</summary>
    public MqttTlsOptions? Tls { get; set; }
    /// <summary>Time allowed for TCP/TLS connect plus CONNACK.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>Longest pause between reconnect attempts.</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>v5 maximum packet size we accept (0 = protocol maximum).</summary>
    public uint MaximumPacketSize { get; set; }
    /// <summary>
    /// v5 enhanced authentication (§4.12), e.g. <see cref="Security.ScramSha256ClientAuthenticator"/>; its method goes
    /// in CONNECT and <see cref="MqttClient.ReauthenticateAsync"/> repeats it on a live connection.
    /// </summary>
    public Security.IMqttClientAuthenticator? Authentication { get; set; }
    /// <summary>v5: topic aliases the broker may use towards us (sent as CONNECT Topic Alias Maximum; 0 = none).</summary>
    public ushort TopicAliasMaximum { get; set; }
    /// <summary>v5 user properties sent with CONNECT.</summary>
    public IReadOnlyList<KeyValuePair<string, string>>? UserProperties { get; set; }
}
