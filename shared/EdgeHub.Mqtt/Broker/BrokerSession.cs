using EdgeHub.Mqtt.Protocol;

namespace EdgeHub.Mqtt.Broker;

/// <summary>
/// State of one client identifier: subscriptions, outgoing QoS 1/2 in flight, the bounded queue behind the in-flight
/// window (also the offline queue), and incoming QoS 2 identifiers awaiting PUBREL. Guarded by <see cref="Sync"/>.
/// </summary>
internal sealed class BrokerSession
{
    private struct Inflight
    {
        public BrokerMessage Message;
        public MqttQos Qos;
        public bool Retain;
        public uint[]? SubscriptionIds;
        public bool AwaitingComp;
        public long Sequence;
    }

    internal readonly struct Queued(BrokerMessage message, MqttQos qos, bool retain, uint[]? subscriptionIds)
    {
        public BrokerMessage Message { get; } = message;
        public MqttQos Qos { get; } = qos;
        public bool Retain { get; } = retain;
        public uint[]? SubscriptionIds { get; } = subscriptionIds;
    }

    private readonly Dictionary<ushort, Inflight> _inflight = [];
    private readonly Queue<Queued> _queue = new();
    private readonly int _maxInflight;
    private readonly int _maxQueued;
    private ushort _nextId;
    private long _sequence;
    private BrokerConnection? _connection;

    public BrokerSession(string clientId, int maxInflight, int maxQueued)
    {
        ClientId = clientId;
        _maxInflight = maxInflight;
        _maxQueued = maxQueued;
    }

    public string ClientId { get; }
    public Lock Sync { get; } = new();
    public string? Username { get; set; }
    public Dictionary<string, BrokerSubscription> Subscriptions { get; } = new(StringComparer.Ordinal);
    public HashSet<ushort> IncomingQos2 { get; } = [];
    /// <summary>Seconds the session outlives its connection; uint.MaxValue = never expires.</summary>
    public uint ExpiryInterval { get; set; }
    public long DisconnectedAt { get; set; }
    public bool IsConnected => Volatile.Read(ref _connection) != null;
    public BrokerConnection? Connection => Volatile.Read(ref _connection);
    /// <summary>Will waiting for its delay interval after the connection ended.</summary>
    public MqttApplicationMessage? PendingWill { get; set; }
    public long PendingWillDueAt { get; set; }
    public long DroppedMessages;
    /// <summary>True once the session has been removed (expired, clean start); late deliveries are ignored.</summary>
    public bool Discarded { get; set; }
    /// <summary>Persistence hook: a QoS ≥ 1 message was queued while the session was offline.</summary>
    public Action<BrokerSession, Queued>? OfflineQueued { get; set; }
    /// <summary>Persistence: the session is stored on disk.</summary>
    public bool Persisted { get; set; }

    public int QueuedCount
    {
        get
        {
            lock (Sync)
            {
                return _queue.Count + _inflight.Count;
            }
        }
    }

    /// <summary>Routes one message to this session: sent now, queued behind the window, or dropped when the queue is full.</summary>
    public void Deliver(BrokerMessage message, MqttQos qos, bool retain, uint[]? subscriptionIds)
    {
        lock (Sync)
        {
            if (Discarded)
            {
                return;
            }
            var connection = _connection;
            if (qos == MqttQos.AtMostOnce)
            {
                // QoS 0 is not queued for offline sessions (§4.1: optional; mosquitto does the same by default).
                if (connection is null || !connection.TrySendPublish(message, qos, 0, retain, false, subscriptionIds))
                {
                    DroppedMessages++;
                }
                return;
            }
            if (connection != null && _queue.Count == 0 && _inflight.Count < Math.Min(_maxInflight, connection.PeerReceiveMaximum))
            {
                SendNew(connection, message, qos, retain, subscriptionIds);
                return;
            }
            if (_queue.Count >= _maxQueued)
            {
                // Explicit policy: a full queue drops the newest message (like mosquitto's max_queued_messages) and counts it.
                DroppedMessages++;
                return;
            }
            var queued = new Queued(message, qos, retain, subscriptionIds);
            _queue.Enqueue(queued);
            if (connection is null)
            {
                OfflineQueued?.Invoke(this, queued);
            }
        }
    }

    private void SendNew(BrokerConnection connection, BrokerMessage message, MqttQos qos, bool retain, uint[]? subscriptionIds)
    {
        var id = NextId();
        _inflight[id] = new Inflight { Message = message, Qos = qos, Retain = retain, SubscriptionIds = subscriptionIds, Sequence = ++_sequence };
        connection.TrySendPublish(message, qos, id, retain, false, subscriptionIds);
    }

    private ushort NextId()
    {
        do
        {
            _nextId = _nextId == ushort.MaxValue ? (ushort)1 : (ushort)(_nextId + 1);
        }
        while (_inflight.ContainsKey(_nextId));
        return _nextId;
    }

    /// <summary>PUBACK (QoS 1) or PUBCOMP (QoS 2) ends a delivery; the window moves on.</summary>
    public bool Complete(ushort packetId)
    {
        lock (Sync)
        {
            if (!_inflight.Remove(packetId))
            {
                return false;
            }
            DrainLocked();
            return true;
        }
    }

    /// <summary>PUBREC: the message is now owned by the receiver; wait for PUBCOMP. A failure code ends the delivery.</summary>
    public bool Received(ushort packetId, MqttReasonCode code)
    {
        lock (Sync)
        {
            if (!_inflight.TryGetValue(packetId, out var entry))
            {
                return false;
            }
            if ((byte)code >= 0x80)
            {
                _inflight.Remove(packetId);
                DrainLocked();
                return true;
            }
            entry.AwaitingComp = true;
            _inflight[packetId] = entry;
            return true;
        }
    }

    private void DrainLocked()
    {
        var connection = _connection;
        if (connection is null)
        {
            return;
        }
        var window = Math.Min(_maxInflight, connection.PeerReceiveMaximum);
        var now = Environment.TickCount64;
        while (_queue.Count > 0 && _inflight.Count < window)
        {
            var q = _queue.Dequeue();
            if (q.Message.IsExpired(now))
            {
                continue;
            }
            SendNew(connection, q.Message, q.Qos, q.Retain, q.SubscriptionIds);
        }
    }

    /// <summary>Binds a new connection: resends what is in flight (DUP / PUBREL, §4.4), then drains the queue.</summary>
    public void Attach(BrokerConnection connection)
    {
        lock (Sync)
        {
            Volatile.Write(ref _connection, connection);
            PendingWill = null;
            if (_inflight.Count > 0)
            {
                var entries = new List<KeyValuePair<ushort, Inflight>>(_inflight);
                entries.Sort((a, b) => a.Value.Sequence.CompareTo(b.Value.Sequence));
                foreach (var (id, e) in entries)
                {
                    if (e.AwaitingComp)
                    {
                        connection.SendAck(MqttPacketType.PubRel, id, MqttReasonCode.Success);
                    }
                    else
                    {
                        connection.TrySendPublish(e.Message, e.Qos, id, e.Retain, true, e.SubscriptionIds);
                    }
                }
            }
            DrainLocked();
        }
    }

    /// <summary>Unbinds <paramref name="connection"/> if it is still the current one.</summary>
    public bool Detach(BrokerConnection connection)
    {
        lock (Sync)
        {
            if (!ReferenceEquals(_connection, connection))
            {
                return false;
            }
            Volatile.Write(ref _connection, null);
            DisconnectedAt = Environment.TickCount64;
            return true;
        }
    }

    /// <summary>Undelivered QoS ≥ 1 messages in order (in flight first), for persistence.</summary>
    public List<Queued> Snapshot()
    {
        lock (Sync)
        {
            var entries = new List<KeyValuePair<ushort, Inflight>>(_inflight);
            entries.Sort((a, b) => a.Value.Sequence.CompareTo(b.Value.Sequence));
            var list = new List<Queued>(entries.Count + _queue.Count);
            foreach (var (_, e) in entries)
            {
                list.Add(new Queued(e.Message, e.Qos, e.Retain, e.SubscriptionIds));
            }
            list.AddRange(_queue);
            return list;
        }
    }

    /// <summary>Restores queued messages loaded from disk.</summary>
    public void Restore(IEnumerable<Queued> messages)
    {
        lock (Sync)
        {
            foreach (var q in messages)
            {
                if (_queue.Count < _maxQueued)
                {
                    _queue.Enqueue(q);
                }
            }
        }
    }
}
