using EdgeHub.Mqtt.Client;
using EdgeHub.Mqtt.Packets;
using EdgeHub.Mqtt.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeHub.Mqtt;

/// <summary>
/// MQTT 3.1.1 / 5.0 client: QoS 0/1/2 both ways, persistent sessions, auto-reconnect with jittered backoff and
/// resubscription, retransmission after reconnect, keep-alive, will, TLS, receive-maximum flow control and a bounded
/// outgoing queue (PublishAsync waits when <see cref="MqttClientOptions.MaxPendingPublishes"/> are pending).
/// </summary>
public sealed partial class MqttClient : IAsyncDisposable
{
    private readonly ILogger _logger;
    private readonly Lock _sync = new();
    private readonly SemaphoreSlim _publishSlots;
    private readonly Dictionary<ushort, PendingOperation> _pending = [];
    private readonly Queue<PendingOperation> _backlog = new();
    private readonly Dictionary<string, MqttSubscription> _subscriptions = new(StringComparer.Ordinal);
    /// <summary>QoS 1/2 publications waiting for a slot of the broker's receive maximum, in call order.</summary>
    private readonly Queue<PendingOperation> _windowQueue = new();
    private readonly IncomingFlowControl _flow;
    private ClientConnection? _connection;
    private int _inflight;
    private int _inflightLimit = ushort.MaxValue;
    private ushort _nextPacketId;
    private long _sequence;
    private string _clientId;
    private bool _everConnected;

    /// <summary>Creates a client; nothing happens until <see cref="ConnectAsync"/>.</summary>
    public MqttClient(MqttClientOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        _logger = logger ?? NullLogger.Instance;
        _clientId = options.ClientId;
        _publishSlots = new SemaphoreSlim(Math.Max(1, options.MaxPendingPublishes));
        _flow = new IncomingFlowControl(options.MaxIncomingMessages, options.MaxIncomingBytes);
    }

    /// <summary>The options in use.</summary>
    public MqttClientOptions Options { get; }

    /// <summary>Client identifier in use (the broker-assigned one when <see cref="MqttClientOptions.ClientId"/> was empty).</summary>
    public string ClientId => _clientId;

    /// <summary>
    /// Called for every received message, one at a time in arrival order; awaited before the message is acknowledged.
    /// <see cref="MqttApplicationMessage.Payload"/> is valid only during the call (copy to keep).
    /// </summary>
    public Func<MqttApplicationMessage, CancellationToken, ValueTask>? MessageReceived { get; set; }

    /// <summary>Raised after every successful (re)connect, once subscriptions have been restored.</summary>
    public event Action<MqttClient>? Connected;

    /// <summary>Raised when a connection ends (null exception = requested by <see cref="DisconnectAsync"/>).</summary>
    public event Action<MqttClient, Exception?>? Disconnected;

    /// <summary>True while a connection is established.</summary>
    public bool IsConnected => _connection is { IsClosed: false };

    /// <summary>True when the broker resumed a stored session on the last connect.</summary>
    public bool SessionPresent { get; private set; }

    /// <summary>The last CONNACK (server limits and properties).</summary>
    public MqttConnAckPacket? ConnAck { get; private set; }

    /// <summary>Publishes a message; completes after PUBACK (QoS 1) / PUBCOMP (QoS 2), or once queued for QoS 0.</summary>
    public ValueTask PublishAsync(string topic, ReadOnlyMemory<byte> payload, MqttQos qos = MqttQos.AtLeastOnce, bool retain = false, CancellationToken ct = default) =>
        PublishAsync(new MqttApplicationMessage { Topic = topic, Payload = payload, Qos = qos, Retain = retain }, ct);

    /// <summary>Publishes a message; completes after PUBACK (QoS 1) / PUBCOMP (QoS 2), or once queued for QoS 0.</summary>
    public async ValueTask PublishAsync(MqttApplicationMessage message, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        ThrowIfDisposed();
        if (!MqttTopic.IsValidTopicName(message.Topic))
        {
            throw new ArgumentException($"'{message.Topic}' is not a valid topic name: it must be non-empty and contain no '+' or '#'", nameof(message));
        }
        if (message.Qos > MqttQos.ExactlyOnce)
        {
            throw new ArgumentOutOfRangeException(nameof(message), $"QoS {(int)message.Qos} is not valid (0, 1 or 2)");
        }
        if (!_everConnected)
        {
            throw new InvalidOperationException("call ConnectAsync before publishing");
        }
        using var brokerWait = EnterBrokerWait();
        await _publishSlots.WaitAsync(ct).ConfigureAwait(false);
        var qos = message.Qos;
        var packet = new MqttPublishPacket
        {
            Topic = message.Topic,
            // The caller may reuse its buffer once QoS 0 returns, and retransmissions need the bytes: own a copy.
            Payload = message.Payload.ToArray(),
            Qos = qos,
            Retain = message.Retain,
            ContentType = message.ContentType,
            ResponseTopic = message.ResponseTopic,
            CorrelationData = message.CorrelationData.IsEmpty ? default : message.CorrelationData.ToArray(),
            MessageExpiryInterval = message.MessageExpiryInterval,
            UserProperties = message.UserProperties,
            PayloadIsUtf8 = message.PayloadIsUtf8,
        };
        var op = Register(packet, holdsPublishSlot: true, needsInflightSlot: qos != MqttQos.AtMostOnce);
        if (qos == MqttQos.AtMostOnce)
        {
            return;
        }
        using var reg = ct.CanBeCanceled ? ct.Register(static s => ((PendingOperation)s!).Fail(new OperationCanceledException("publish cancelled")), op) : default;
        var ack = await op.Task.ConfigureAwait(false);
        if (ack is MqttPubCompPacket { ReasonCode: MqttReasonCode.PacketIdentifierNotFound } && op.PubRelResent)
        {
            // §3.7.2.1: "not an error during recovery" — the broker completed the exchange, its PUBCOMP was lost with the connection.
            return;
        }
        if (ack is MqttAckPacket { ReasonCode: >= MqttReasonCode.UnspecifiedError } failed)
        {
            throw new MqttPublishException($"broker rejected the message on '{message.Topic}': {failed.ReasonCode}{(failed.ReasonString is null ? "" : " (" + failed.ReasonString + ")")}", failed.ReasonCode);
        }
    }

    /// <summary>Subscribes to one filter; throws <see cref="MqttException"/> when the broker refuses it.</summary>
    public Task SubscribeAsync(string topicFilter, MqttQos qos = MqttQos.AtLeastOnce, CancellationToken ct = default) =>
        SubscribeAsync([new MqttSubscription(topicFilter, qos)], ct);

    /// <summary>Subscribes to several filters in one SUBSCRIBE; kept and restored after reconnects.</summary>
    public async Task SubscribeAsync(IReadOnlyList<MqttSubscription> subscriptions, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(subscriptions);
        ThrowIfDisposed();
        if (subscriptions.Count == 0)
        {
            throw new ArgumentException("at least one subscription is needed", nameof(subscriptions));
        }
        foreach (var s in subscriptions)
        {
            if (!MqttTopic.IsValidTopicFilter(s.TopicFilter))
            {
                throw new ArgumentException($"'{s.TopicFilter}' is not a valid topic filter ('#' only last, '+' alone in its level)", nameof(subscriptions));
            }
        }
        var packet = new MqttSubscribePacket
        {
            Subscriptions = subscriptions,
            SubscriptionIdentifier = subscriptions[0].SubscriptionIdentifier,
        };
        using var brokerWait = EnterBrokerWait();
        var op = Register(packet, false, false);
        using var reg = ct.CanBeCanceled ? ct.Register(static s => ((PendingOperation)s!).Fail(new OperationCanceledException("subscribe cancelled")), op) : default;
        var ack = (MqttSubAckPacket)(await op.Task.ConfigureAwait(false))!;
        var failures = new List<string>();
        for (var i = 0; i < subscriptions.Count; i++)
        {
            var code = i < ack.ReasonCodes.Count ? ack.ReasonCodes[i] : MqttReasonCode.UnspecifiedError;
            if (code >= MqttReasonCode.UnspecifiedError)
            {
                failures.Add($"'{subscriptions[i].TopicFilter}': {code}");
                continue;
            }
            lock (_sync)
            {
                _subscriptions[subscriptions[i].TopicFilter] = subscriptions[i];
            }
        }
        if (failures.Count > 0)
        {
            throw new MqttException($"broker refused subscription {string.Join(", ", failures)}", ack.ReasonCodes[0] >= MqttReasonCode.UnspecifiedError ? ack.ReasonCodes[0] : MqttReasonCode.UnspecifiedError);
        }
    }

    /// <summary>Unsubscribes from one filter.</summary>
    public async Task UnsubscribeAsync(string topicFilter, CancellationToken ct = default)
    {
        ThrowIfDisposed();
        lock (_sync)
        {
            _subscriptions.Remove(topicFilter);
        }
        using var brokerWait = EnterBrokerWait();
        var op = Register(new MqttUnsubscribePacket { TopicFilters = [topicFilter] }, false, false);
        using var reg = ct.CanBeCanceled ? ct.Register(static s => ((PendingOperation)s!).Fail(new OperationCanceledException("unsubscribe cancelled")), op) : default;
        await op.Task.ConfigureAwait(false);
    }

    /// <summary>Assigns a packet identifier (QoS &gt; 0 and control packets) and sends now, or queues until reconnected.</summary>
    /// <remarks>
    /// A QoS 1/2 publication beyond the broker's receive maximum (§4.9) waits in <see cref="_windowQueue"/> and gets its
    /// identifier when a slot frees: granted under the lock in call order, so unawaited publishes keep their order.
    /// </remarks>
    private PendingOperation Register(MqttPacket packet, bool holdsPublishSlot, bool needsInflightSlot)
    {
        lock (_sync)
        {
            var op = new PendingOperation(this, packet, ++_sequence, holdsPublishSlot);
            if (needsInflightSlot)
            {
                if (_inflight >= _inflightLimit || _windowQueue.Count > 0)
                {
                    _windowQueue.Enqueue(op);
                    return op;
                }
                _inflight++;
                op.HoldsInflightSlot = true;
            }
            SendLocked(op);
            return op;
        }
    }

    /// <summary>Assigns the packet identifier (QoS &gt; 0 and control packets) and writes now, or keeps it for the reconnect.</summary>
    private void SendLocked(PendingOperation op)
    {
        var packet = op.Packet;
        if (!op.IsQos0)
        {
            var id = NextPacketId();
            switch (packet)
            {
                case MqttPublishPacket p: p.PacketId = id; break;
                case MqttSubscribePacket s: s.PacketId = id; break;
                case MqttUnsubscribePacket u: u.PacketId = id; break;
            }
            _pending[id] = op;
        }
        var connection = _connection;
        if (connection is { IsClosed: false } && _ready)
        {
            connection.Enqueue(new ClientOutbound(packet, op));
        }
        else if (op.IsQos0)
        {
            _backlog.Enqueue(op);
        }
        // QoS > 0 and (un)subscribe: resent from _pending when the next connection is ready.
    }

    private ushort NextPacketId()
    {
        if (_pending.Count >= ushort.MaxValue - 1)
        {
            throw new MqttException("all 65,535 packet identifiers are in use; lower MaxPendingPublishes");
        }
        do
        {
            _nextPacketId = _nextPacketId == ushort.MaxValue ? (ushort)1 : (ushort)(_nextPacketId + 1);
        }
        while (_pending.ContainsKey(_nextPacketId));
        return _nextPacketId;
    }

    /// <summary>Called once per operation when it finishes: frees its packet identifier and slots.</summary>
    internal void Release(PendingOperation op)
    {
        lock (_sync)
        {
            switch (op.Packet)
            {
                case MqttPublishPacket { Qos: not MqttQos.AtMostOnce } p:
                    RemovePending(p.PacketId, op);
                    break;
                case MqttSubscribePacket s:
                    RemovePending(s.PacketId, op);
                    break;
                case MqttUnsubscribePacket u:
                    RemovePending(u.PacketId, op);
                    break;
            }
            if (op.HoldsInflightSlot)
            {
                ReleaseInflightLocked();
            }
        }
        if (op.HoldsPublishSlot)
        {
            _publishSlots.Release();
        }
    }

    private void RemovePending(ushort id, PendingOperation op)
    {
        if (_pending.TryGetValue(id, out var current) && ReferenceEquals(current, op))
        {
            _pending.Remove(id);
        }
    }

    private void ReleaseInflightLocked()
    {
        _inflight--;
        DrainWindowLocked();
    }

    /// <summary>Sends publications waiting for the receive maximum, oldest first, while slots are free.</summary>
    private void DrainWindowLocked()
    {
        while (_inflight < _inflightLimit && _windowQueue.TryDequeue(out var next))
        {
            if (next.IsFinished)
            {
                continue; // cancelled while waiting
            }
            _inflight++;
            next.HoldsInflightSlot = true;
            SendLocked(next);
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
