using EdgeHub.Mqtt.Packets;
using EdgeHub.Mqtt.Protocol;

namespace EdgeHub.Mqtt.Broker;

/// <summary>Packet handling after framing: session bookkeeping here, routing and subscriptions in the broker.</summary>
internal sealed partial class BrokerConnection
{
    private Dictionary<ushort, string>? _topicAliases;
    private bool _normalDisconnect;
    private byte[]? _connAckAuthData;

    public bool NormalDisconnect => _normalDisconnect;

    /// <summary>Set when the connection limit is exceeded: CONNECT is answered with this code.</summary>
    public MqttReasonCode RefuseWhenConnecting { get; set; }

    /// <summary>Another connection took this client identifier over.</summary>
    public bool TakenOver { get; set; }

    /// <summary>Handles one packet; false ends the read loop.</summary>
    private bool Handle(MqttPacket packet)
    {
        if (Session is null)
        {
            if (_pendingConnect != null)
            {
                return HandlePreConnectAuth(packet);
            }
            if (packet is not MqttConnectPacket connect)
            {
                // [MQTT-3.1.0-1]: the first packet must be CONNECT.
                throw new MqttProtocolException($"protocol error: first packet was {packet.Type}, expected CONNECT", MqttReasonCode.ProtocolError);
            }
            return HandleConnect(connect);
        }
        var session = Session;
        switch (packet)
        {
            case MqttPublishPacket publish:
                _broker.HandlePublish(this, session, publish);
                return !_closeAfterFlush;
            case MqttPubAckPacket ack:
                session.Complete(ack.PacketId);
                return true;
            case MqttPubRecPacket rec:
                var known = session.Received(rec.PacketId, rec.ReasonCode);
                if ((byte)rec.ReasonCode < 0x80)
                {
                    // Deferred like PUBACK: once PUBREL is out, a restarted broker must owe PUBREL, never the PUBLISH.
                    AckPublish(MqttPacketType.PubRel, rec.PacketId, known ? MqttReasonCode.Success : MqttReasonCode.PacketIdentifierNotFound);
                }
                return true;
            case MqttPubRelPacket rel:
                var had = session.ReleaseIncomingQos2(rel.PacketId);
                // Deferred: after PUBCOMP the client may reuse the identifier, so a restart must not remember it.
                AckPublish(MqttPacketType.PubComp, rel.PacketId, had ? MqttReasonCode.Success : MqttReasonCode.PacketIdentifierNotFound);
                return true;
            case MqttPubCompPacket comp:
                session.Complete(comp.PacketId);
                return true;
            case MqttSubscribePacket subscribe:
                _broker.HandleSubscribe(this, session, subscribe);
                return true;
            case MqttUnsubscribePacket unsubscribe:
                _broker.HandleUnsubscribe(this, session, unsubscribe);
                return true;
            case MqttPingReqPacket:
                Send(MqttPingRespPacket.Instance);
                return true;
            case MqttDisconnectPacket disconnect:
                HandleDisconnect(session, disconnect);
                return false;
            case MqttConnectPacket:
                throw new MqttProtocolException("protocol error: second CONNECT on one connection [MQTT-3.1.0-2]", MqttReasonCode.ProtocolError);
            case MqttAuthPacket auth:
                HandleReauth(auth);
                return true;
            default:
                throw new MqttProtocolException($"protocol error: a client must not send {packet.Type}", MqttReasonCode.ProtocolError);
        }
    }

    private void HandleDisconnect(BrokerSession session, MqttDisconnectPacket disconnect)
    {
        if (disconnect.SessionExpiryInterval is { } sei)
        {
            if (session.ExpiryInterval == 0 && sei != 0)
            {
                // [MQTT-3.14.2-2]: cannot turn a zero expiry into a non-zero one at DISCONNECT.
                Disconnect(MqttReasonCode.ProtocolError, "session expiry interval was 0 in CONNECT");
                return;
            }
            session.ExpiryInterval = Math.Min(sei, _broker.Options.MaxSessionExpiryInterval);
        }
        // [MQTT-3.14.4-3]: a normal DISCONNECT discards the will; 0x04 asks for it to be published.
        _normalDisconnect = disconnect.ReasonCode != MqttReasonCode.DisconnectWithWill;
        _closeAfterFlush = true;
        _outbound.TryComplete();
    }

    private bool HandleConnect(MqttConnectPacket connect)
    {
        Version = connect.ProtocolVersion;
        _decoder.Version = Version;
        _encoder.Version = Version;
        KeepAlive = connect.KeepAlive;
        PeerReceiveMaximum = connect.ReceiveMaximum;
        PeerMaximumPacketSize = connect.MaximumPacketSize;
        PeerTopicAliasMaximum = Version == MqttProtocolVersion.V500 ? connect.TopicAliasMaximum : (ushort)0;
        Username = connect.Username;
        if (RefuseWhenConnecting == MqttReasonCode.Success && connect.AuthenticationMethod is { } method)
        {
            return BeginConnectAuth(connect, method);
        }
        return FinishConnect(connect);
    }

    /// <summary>Accepts or refuses the (authenticated) CONNECT; false ends the read loop.</summary>
    private bool FinishConnect(MqttConnectPacket connect)
    {
        var result = RefuseWhenConnecting != MqttReasonCode.Success ? RefuseWhenConnecting : _broker.Accept(this, connect);
        if (result != MqttReasonCode.Success)
        {
            Send(new MqttConnAckPacket { ReasonCode = result });
            _outbound.TryComplete();
            return false;
        }
        return true;
    }

    /// <summary>Queues CONNACK (called by the broker under its session lock, before the session is attached).</summary>
    internal void SendConnAck(MqttConnectPacket connect, BrokerSession session, bool sessionPresent, string? assignedId)
    {
        Will = connect.Will;
        WillDelay = connect.WillDelayInterval;
        var ack = new MqttConnAckPacket
        {
            SessionPresent = sessionPresent,
            ReasonCode = MqttReasonCode.Success,
        };
        if (Version == MqttProtocolVersion.V500)
        {
            var options = _broker.Options;
            ack.ReceiveMaximum = options.MaxInflightMessages;
            ack.TopicAliasMaximum = options.TopicAliasMaximum;
            ack.MaximumPacketSize = (uint)options.MaxPacketSize;
            ack.AssignedClientIdentifier = assignedId;
            if (_authMethod != null)
            {
                // §4.12: CONNACK ends the exchange and carries the method and the broker's final data.
                ack.AuthenticationMethod = _authMethod;
                ack.AuthenticationData = _connAckAuthData;
            }
            if (connect.SessionExpiryInterval > options.MaxSessionExpiryInterval)
            {
                ack.SessionExpiryInterval = options.MaxSessionExpiryInterval;
            }
        }
        Send(ack);
        Session = session;
    }

    /// <summary>Resolves a v5 topic alias (§3.3.2.3.4); null means the connection is being closed.</summary>
    internal string? ResolveTopic(MqttPublishPacket publish)
    {
        if (publish.TopicAlias == 0)
        {
            return publish.Topic;
        }
        if (publish.TopicAlias > _broker.Options.TopicAliasMaximum)
        {
            Disconnect(MqttReasonCode.TopicAliasInvalid, $"topic alias {publish.TopicAlias} exceeds the maximum {_broker.Options.TopicAliasMaximum}");
            return null;
        }
        _topicAliases ??= [];
        if (publish.Topic.Length > 0)
        {
            _topicAliases[publish.TopicAlias] = publish.Topic;
            return publish.Topic;
        }
        if (_topicAliases.TryGetValue(publish.TopicAlias, out var topic))
        {
            return topic;
        }
        Disconnect(MqttReasonCode.ProtocolError, $"topic alias {publish.TopicAlias} was never set on this connection");
        return null;
    }
}
