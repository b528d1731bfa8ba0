using EdgeHub.Mqtt.Broker;
using EdgeHub.Mqtt.Packets;
using EdgeHub.Mqtt.Protocol;
using EdgeHub.Mqtt.Security;

namespace EdgeHub.Mqtt;

/// <summary>Routing: PUBLISH in, topic-tree match, per-session delivery; retained messages.</summary>
public sealed partial class MqttBroker
{
    [ThreadStatic] private static List<BrokerSubscription>? t_matches;
    [ThreadStatic] private static List<SharedGroup>? t_groups;
    [ThreadStatic] private static HashSet<BrokerSession>? t_seen;

    private readonly SubscriptionTree _subscriptions = new();
    private readonly RetainedStore _retained = new();

    /// <summary>Publishes a message from inside the process (no connection), as if a client had sent it.</summary>
    public int Publish(MqttApplicationMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!MqttTopic.IsValidTopicName(message.Topic))
        {
            throw new ArgumentException($"'{message.Topic}' is not a valid topic name (non-empty, no wildcards)", nameof(message));
        }
        var m = BrokerMessage.From(message, null);
        if (m.Retain)
        {
            SetRetained(m);
        }
        return Route(m);
    }

    internal void HandlePublish(BrokerConnection connection, BrokerSession session, MqttPublishPacket publish)
    {
        var topic = connection.ResolveTopic(publish);
        if (topic is null)
        {
            return;
        }
        var v5 = connection.Version == MqttProtocolVersion.V500;
        if (publish.Qos == MqttQos.ExactlyOnce)
        {
            lock (session.Sync)
            {
                if (session.IncomingQos2.Contains(publish.PacketId))
                {
                    // A retransmission of a QoS 2 message we already own: acknowledge again, do not deliver twice (§4.3.3).
                    AcknowledgeOrdered(connection, MqttPacketType.PubRec, publish.PacketId, MqttReasonCode.Success, null);
                    return;
                }
                if (v5 && session.IncomingQos2.Count >= Options.MaxInflightMessages)
                {
                    connection.Disconnect(MqttReasonCode.ReceiveMaximumExceeded, $"more than {Options.MaxInflightMessages} QoS 2 messages awaiting PUBREL");
                    return;
                }
            }
        }
        if (!IsAuthorized(session.ClientId, session.Username, topic, AclAccess.Write))
        {
            Acknowledge(connection, publish, v5 ? MqttReasonCode.NotAuthorized : MqttReasonCode.Success, null);
            return;
        }
        // The payload leaves the receive buffer here (one copy into a pooled array); every queue it enters takes a reference.
        var message = BrokerMessage.From(publish, topic, session.ClientId);
        int delivered;
        Task? accepted;
        // QoS 2: the copies queued for persistent sessions and the accepted packet identifier enter the journal together
        // (BrokerStore.EnterAtomic), so after a crash a resent PUBLISH is neither delivered twice nor lost.
        var exactlyOnce = publish.Qos == MqttQos.ExactlyOnce;
        if (exactlyOnce)
        {
            EnterJournalAtomic();
        }
        try
        {
            try
            {
                if (message.Retain)
                {
                    SetRetained(message);
                }
                delivered = Route(message, out accepted);
            }
            finally
            {
                message.Release();
            }
            if (exactlyOnce)
            {
                session.AcceptIncomingQos2(publish.PacketId);
            }
        }
        finally
        {
            if (exactlyOnce)
            {
                ExitJournalAtomic();
            }
        }
        // In-process subscribers that have not finished yet hold the acknowledgement back (MqttBroker.Local.cs).
        Acknowledge(connection, publish, delivered == 0 && v5 ? MqttReasonCode.NoMatchingSubscribers : MqttReasonCode.Success, accepted);
    }

    private void Acknowledge(BrokerConnection connection, MqttPublishPacket publish, MqttReasonCode code, Task? accepted)
    {
        switch (publish.Qos)
        {
            case MqttQos.AtLeastOnce:
                AcknowledgeOrdered(connection, MqttPacketType.PubAck, publish.PacketId, code, accepted);
                break;
            case MqttQos.ExactlyOnce:
                AcknowledgeOrdered(connection, MqttPacketType.PubRec, publish.PacketId, code, accepted);
                break;
        }
    }

    private void SetRetained(BrokerMessage message)
    {
        // The retained store keeps messages indefinitely: it gets its own exact copy, outside the payload pool.
        _retained.Set(message.ToUnpooled());
        PersistRetained(message);
    }

    private int Route(BrokerMessage message) => Route(message, out _);

    /// <summary>Delivers to the network sessions, then to the local subscribers; <paramref name="accepted"/> as in DeliverLocal.</summary>
    private int Route(BrokerMessage message, out Task? accepted) => RouteToSessions(message) + DeliverLocal(message, out accepted);

    /// <summary>Delivers <paramref name="message"/> to every matching session once; returns the number of sessions.</summary>
    private int RouteToSessions(BrokerMessage message)
    {
        var matches = t_matches ??= new List<BrokerSubscription>(16);
        var groups = t_groups ??= new List<SharedGroup>(4);
        matches.Clear();
        groups.Clear();
        _subscriptions.Match(message.Topic, matches, groups);
        foreach (var group in groups)
        {
            if (group.Pick() is { } member)
            {
                matches.Add(member);
            }
        }
        var count = matches.Count;
        if (count == 0)
        {
            return 0;
        }
        if (count == 1)
        {
            Deliver(matches[0], message, matches[0].Qos, matches[0].SubscriptionIds);
            matches.Clear();
            return 1;
        }
        // Overlapping subscriptions of one session: one copy at the highest QoS with every subscription identifier (§3.3.4).
        var seen = t_seen ??= [];
        seen.Clear();
        var delivered = 0;
        for (var i = 0; i < count; i++)
        {
            var sub = matches[i];
            if (!seen.Add(sub.Session))
            {
                continue;
            }
            var qos = sub.Qos;
            var ids = sub.SubscriptionIds;
            for (var j = i + 1; j < count; j++)
            {
                var other = matches[j];
                if (ReferenceEquals(other.Session, sub.Session))
                {
                    qos = (MqttQos)Math.Max((int)qos, (int)other.Qos);
                    if (other.SubscriptionIds != null)
                    {
                        ids = ids is null ? other.SubscriptionIds : [.. ids, .. other.SubscriptionIds];
                    }
                }
            }
            if (Deliver(sub, message, qos, ids))
            {
                delivered++;
            }
        }
        matches.Clear();
        seen.Clear();
        return delivered;
    }

    private static bool Deliver(BrokerSubscription sub, BrokerMessage message, MqttQos grantedQos, uint[]? ids)
    {
        if (sub.NoLocal && message.SenderClientId == sub.Session.ClientId)
        {
            return false; // [MQTT-3.8.3-3]
        }
        var qos = message.Qos < grantedQos ? message.Qos : grantedQos;
        // [MQTT-3.3.1-12]: forwarded messages have retain 0 unless Retain As Published.
        sub.Session.Deliver(message, qos, sub.RetainAsPublished && message.Retain, ids);
        return true;
    }

    internal void HandleSubscribe(BrokerConnection connection, BrokerSession session, MqttSubscribePacket subscribe)
    {
        var v5 = connection.Version == MqttProtocolVersion.V500;
        var codes = new MqttReasonCode[subscribe.Subscriptions.Count];
        List<(BrokerSubscription Sub, bool IsNew)>? added = null;
        for (var i = 0; i < codes.Length; i++)
        {
            var request = subscribe.Subscriptions[i];
            var filter = request.TopicFilter;
            if (!MqttTopic.IsValidTopicFilter(filter))
            {
                codes[i] = MqttReasonCode.TopicFilterInvalid;
                continue;
            }
            string? group = null;
            var topicFilter = filter;
            if (MqttTopic.TryParseShared(filter, out var g, out var inner))
            {
                if (request.NoLocal)
                {
                    // [MQTT-3.8.3-4]: No Local on a shared subscription is a protocol error.
                    connection.Disconnect(MqttReasonCode.ProtocolError, "No Local set on a shared subscription");
                    return;
                }
                group = g;
                topicFilter = inner;
            }
            if (!IsSubscribeAuthorized(session.ClientId, session.Username, topicFilter))
            {
                codes[i] = MqttReasonCode.NotAuthorized;
                continue;
            }
            var sub = new BrokerSubscription(session, filter, topicFilter, group, request);
            bool isNew;
            lock (session.Sync)
            {
                isNew = !session.Subscriptions.ContainsKey(filter);
                session.Subscriptions[filter] = sub;
            }
            _subscriptions.Add(sub);
            codes[i] = (MqttReasonCode)(byte)request.Qos;
            (added ??= []).Add((sub, isNew));
        }
        connection.Send(new MqttSubAckPacket { PacketId = subscribe.PacketId, ReasonCodes = codes });
        if (added is null)
        {
            return;
        }
        PersistSession(session);
        // Retained messages after the SUBACK (§3.3.1.3); never for shared subscriptions [MQTT-3.8.4-?/4.8.2].
        var retained = new List<BrokerMessage>();
        foreach (var (sub, isNew) in added)
        {
            if (sub.ShareGroup != null || sub.RetainHandling == MqttRetainHandling.DoNotSend ||
                (sub.RetainHandling == MqttRetainHandling.SendAtSubscribeIfNew && !isNew))
            {
                continue;
            }
            retained.Clear();
            _retained.Match(sub.TopicFilter, retained);
            foreach (var m in retained)
            {
                if (!IsAuthorized(session.ClientId, session.Username, m.Topic, AclAccess.Read))
                {
                    continue;
                }
                var qos = m.Qos < sub.Qos ? m.Qos : sub.Qos;
                // Retained messages sent because of a new subscription carry retain 1 [MQTT-3.3.1-9].
                session.Deliver(m, qos, true, sub.SubscriptionIds);
            }
        }
    }

    internal void HandleUnsubscribe(BrokerConnection connection, BrokerSession session, MqttUnsubscribePacket unsubscribe)
    {
        var codes = new MqttReasonCode[unsubscribe.TopicFilters.Count];
        for (var i = 0; i < codes.Length; i++)
        {
            var filter = unsubscribe.TopicFilters[i];
            BrokerSubscription? sub;
            lock (session.Sync)
            {
                session.Subscriptions.Remove(filter, out sub);
            }
            if (sub is null)
            {
                codes[i] = MqttTopic.IsValidTopicFilter(filter) ? MqttReasonCode.NoSubscriptionExisted : MqttReasonCode.TopicFilterInvalid;
                continue;
            }
            _subscriptions.Remove(session, sub.TopicFilter, sub.ShareGroup);
            codes[i] = MqttReasonCode.Success;
        }
        connection.Send(new MqttUnsubAckPacket { PacketId = unsubscribe.PacketId, ReasonCodes = codes });
        PersistSession(session);
    }
}
