using EdgeHub.Mqtt.Protocol;

namespace EdgeHub.Mqtt.Broker;

/// <summary>Where a persistent session records what it owes its client (implemented by the broker's store).</summary>
internal interface ISessionJournal
{
    /// <summary>A QoS ≥ 1 message was accepted for <paramref name="session"/> (called under the session lock, before the publisher's ack).</summary>
    void Enqueued(BrokerSession session, in BrokerSession.Queued queued);

    /// <summary>The message with <paramref name="sequence"/> was delivered (PUBACK, PUBCOMP, a failed PUBREC) or dropped (expired).</summary>
    void Done(BrokerSession session, long sequence);

    /// <summary>The QoS 2 message <paramref name="sequence"/> went out as <paramref name="packetId"/> (a resend after a restart reuses it, §4.4).</summary>
    void Sent(BrokerSession session, long sequence, ushort packetId);

    /// <summary>PUBREC arrived for <paramref name="sequence"/>: from now on only PUBREL <paramref name="packetId"/> is owed (§4.3.3).</summary>
    void Released(BrokerSession session, long sequence, ushort packetId);

    /// <summary>An incoming QoS 2 <paramref name="packetId"/> was accepted (<paramref name="owned"/>) or released by PUBREL.</summary>
    void IncomingQos2(BrokerSession session, ushort packetId, bool owned);
}

/// <summary>
/// State of one client identifier: subscriptions, outgoing QoS 1/2 in flight, the bounded queue behind the in-flight
/// window (also the offline queue), and incoming QoS 2 identifiers awaiting PUBREL. Guarded by <see cref="Sync"/>.
/// Every in-flight and queued entry holds one reference to its message's payload (see <see cref="BrokerMessage.AddRef"/>).
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

    /// <summary>A QoS ≥ 1 message owed to the client; <see cref="Sequence"/> orders deliveries and names it in the journal.</summary>
    internal readonly struct Queued(BrokerMessage message, MqttQos qos, bool retain, uint[]? subscriptionIds, long sequence)
    {
        public BrokerMessage Message { get; } = message;
        public MqttQos Qos { get; } = qos;
        public bool Retain { get; } = retain;
        public uint[]? SubscriptionIds { get; } = subscriptionIds;
        public long Sequence { get; } = sequence;
    }

    /// <summary>Stands in for the message of a PUBREL owed after a restart (the PUBLISH is never sent again).</summary>
    private static readonly BrokerMessage s_released = new() { Topic = "", Payload = ReadOnlyMemory<byte>.Empty };

    private readonly Dictionary<ushort, Inflight> _inflight = [];
    private readonly Queue<Queued> _queue = new();
    private readonly int _maxInflight;
    private readonly int _maxQueued;
    private readonly long _maxHeldBytes;
    private long _heldBytes; // payload bytes of the in-flight and queued messages
    private ushort _nextId;
    private long _sequence;
    private BrokerConnection? _connection;

    public BrokerSession(string clientId, int maxInflight, int maxQueued, long maxQueuedBytes = 0)
    {
        ClientId = clientId;
        _maxInflight = maxInflight;
        _maxQueued = maxQueued;
        _maxHeldBytes = maxQueuedBytes;
    }

    /// <summary>Payload bytes of the QoS 1/2 messages in flight or queued (bounded by <see cref="MqttBrokerOptions.MaxQueuedBytes"/>).</summary>
    internal long HeldBytes
    {
        get
        {
            lock (Sync)
            {
                return _heldBytes;
            }
        }
    }

    public string ClientId { get; }
    public Lock Sync { get; } = new();
    public string? Username { get; set; }
    public SubscriptionSet Subscriptions { get; } = new();
    /// <summary>Incoming QoS 2 identifiers awaiting PUBREL (read under <see cref="Sync"/>; change through <see cref="AcceptIncomingQos2"/> and <see cref="ReleaseIncomingQos2"/>).</summary>
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
    public bool Discarded { get; private set; }
    /// <summary>Persistence: set while the session is stored on disk; every QoS ≥ 1 entry is journaled.</summary>
    public ISessionJournal? Journal { get; set; }
    /// <summary>Persistence: the session is stored on disk.</summary>
    public bool Persisted => Journal != null;

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
            var windowOpen = connection != null && _queue.Count == 0 && _inflight.Count < Math.Min(_maxInflight, connection.PeerReceiveMaximum);
            if (!windowOpen && _queue.Count >= _maxQueued)
            {
                // Explicit policy: a full queue drops the newest message (like mosquitto's max_queued_messages) and counts it.
                DroppedMessages++;
                return;
            }
            var size = message.Payload.Length;
            if (_maxHeldBytes > 0 && _heldBytes + size > _maxHeldBytes && _inflight.Count + _queue.Count > 0)
            {
                // The same policy by bytes (mosquitto's max_queued_bytes): a client that stops acknowledging holds at most
                // the limit, not its window and queue of messages up to the maximum packet size each.
                DroppedMessages++;
                return;
            }
            _heldBytes += size;
            var queued = new Queued(message.AddRef(), qos, retain, subscriptionIds, ++_sequence);
            Journal?.Enqueued(this, queued);
            if (windowOpen)
            {
                SendNew(connection!, queued);
            }
            else
            {
                _queue.Enqueue(queued);
            }
        }
    }

    /// <summary>Moves <paramref name="q"/> (and its reference) into the in-flight window and writes it.</summary>
    private void SendNew(BrokerConnection connection, in Queued q)
    {
        var id = NextId();
        _inflight[id] = new Inflight { Message = q.Message, Qos = q.Qos, Retain = q.Retain, SubscriptionIds = q.SubscriptionIds, Sequence = q.Sequence };
        if (Journal is { } journal)
        {
            // §4.4: a resend uses the original packet identifier, also after a restart. QoS 2: the connection flushes
            // the journal before these bytes reach the socket (the client may hold this identifier for the message, so
            // a new one would deliver it twice). QoS 1: the record rides the next flush; should the broker die first,
            // the resend gets a new identifier, which at-least-once delivery tolerates.
            journal.Sent(this, q.Sequence, id);
            if (q.Qos == MqttQos.ExactlyOnce)
            {
                connection.JournalBeforeWrite = true;
            }
        }
        connection.TrySendPublish(q.Message, q.Qos, id, q.Retain, false, q.SubscriptionIds);
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
            if (!_inflight.Remove(packetId, out var entry))
            {
                return false;
            }
            Journal?.Done(this, entry.Sequence);
            Drop(entry.Message);
            DrainLocked();
            return true;
        }
    }

    /// <summary>A message leaves the session (delivered, refused or expired): its bytes and its reference go (under <see cref="Sync"/>).</summary>
    private void Drop(BrokerMessage message)
    {
        _heldBytes -= message.Payload.Length;
        message.Release();
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
            if (entry.AwaitingComp)
            {
                return true;
            }
            if ((byte)code >= 0x80)
            {
                Journal?.Done(this, entry.Sequence);
                _inflight.Remove(packetId);
                Drop(entry.Message);
                DrainLocked();
                return true;
            }
            // §4.3.3: after PUBREC the PUBLISH is never sent again, only PUBREL (also after a restart).
            Journal?.Released(this, entry.Sequence, packetId);
            entry.AwaitingComp = true;
            _inflight[packetId] = entry;
            return true;
        }
    }

    /// <summary>Records an accepted incoming QoS 2 identifier (the PUBREC that follows waits for the journal flush).</summary>
    public void AcceptIncomingQos2(ushort packetId)
    {
        lock (Sync)
        {
            if (IncomingQos2.Add(packetId))
            {
                Journal?.IncomingQos2(this, packetId, true);
            }
        }
    }

    /// <summary>PUBREL: forgets the identifier (the PUBCOMP waits for the journal flush); false if it was unknown.</summary>
    public bool ReleaseIncomingQos2(ushort packetId)
    {
        lock (Sync)
        {
            if (!IncomingQos2.Remove(packetId))
            {
                return false;
            }
            Journal?.IncomingQos2(this, packetId, false);
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
                Journal?.Done(this, q.Sequence);
                Drop(q.Message);
                continue;
            }
            SendNew(connection, q);
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

    /// <summary>Ends the session: late deliveries are ignored and every held payload reference is given back.</summary>
    public void Discard()
    {
        lock (Sync)
        {
            Discarded = true;
            Journal = null;
            foreach (var e in _inflight.Values)
            {
                e.Message.Release();
            }
            _inflight.Clear();
            while (_queue.TryDequeue(out var q))
            {
                q.Message.Release();
            }
            _heldBytes = 0;
        }
    }

    /// <summary>
    /// Writes everything the session owes and holds into <paramref name="journal"/> (it just became persistent):
    /// undelivered messages in delivery order, the identifiers of messages sent or released, and incoming QoS 2
    /// identifiers. Call under <see cref="Sync"/> (the entries' references keep the payloads valid while they are written).
    /// </summary>
    public void JournalAllLocked(ISessionJournal journal)
    {
        var entries = new List<KeyValuePair<ushort, Inflight>>(_inflight);
        entries.Sort((a, b) => a.Value.Sequence.CompareTo(b.Value.Sequence));
        foreach (var (id, e) in entries)
        {
            if (e.AwaitingComp)
            {
                journal.Released(this, e.Sequence, id);
                continue;
            }
            journal.Enqueued(this, new Queued(e.Message, e.Qos, e.Retain, e.SubscriptionIds, e.Sequence));
            journal.Sent(this, e.Sequence, id);
        }
        foreach (var q in _queue)
        {
            journal.Enqueued(this, q);
        }
        foreach (var id in IncomingQos2)
        {
            journal.IncomingQos2(this, id, true);
        }
    }

    /// <summary>
    /// Restores the state loaded from disk (unpooled messages, journal sequence numbers kept): messages already sent
    /// with a known identifier and PUBRELs owed go back in flight (resent on attach, §4.4), the rest is queued; beyond the
    /// queue limit the newest are dropped (the same policy as live delivery) and their sequence numbers returned.
    /// </summary>
    public List<long> Restore(IEnumerable<Queued> messages, IReadOnlyDictionary<long, ushort> sent, IReadOnlyDictionary<long, ushort> released, IEnumerable<ushort> incomingQos2)
    {
        var dropped = new List<long>();
        lock (Sync)
        {
            foreach (var (sequence, id) in released)
            {
                _sequence = Math.Max(_sequence, sequence);
                _inflight[id] = new Inflight { Message = s_released, Qos = MqttQos.ExactlyOnce, AwaitingComp = true, Sequence = sequence };
            }
            foreach (var q in messages)
            {
                _sequence = Math.Max(_sequence, q.Sequence);
                if (sent.TryGetValue(q.Sequence, out var id) && !_inflight.ContainsKey(id))
                {
                    _inflight[id] = new Inflight { Message = q.Message, Qos = q.Qos, Retain = q.Retain, SubscriptionIds = q.SubscriptionIds, Sequence = q.Sequence };
                    _heldBytes += q.Message.Payload.Length;
                }
                else if (_queue.Count < _maxQueued)
                {
                    _queue.Enqueue(q);
                    _heldBytes += q.Message.Payload.Length;
                }
                else
                {
                    DroppedMessages++;
                    dropped.Add(q.Sequence);
                }
            }
            foreach (var id in incomingQos2)
            {
                IncomingQos2.Add(id);
            }
        }
        return dropped;
    }
}
