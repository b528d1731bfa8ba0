using System.Collections.Concurrent;
using EdgeHub.Mqtt.Broker;
using EdgeHub.Mqtt.Packets;
using EdgeHub.Mqtt.Protocol;
using Microsoft.Extensions.Logging;

namespace EdgeHub.Mqtt;

/// <summary>
/// Handles one message delivered to an in-process subscriber. The message (and its pooled payload) stays valid until the
/// returned task completes; to keep the payload longer, take a reference with <see cref="LocalMessage.TakeReference"/>.
/// Completing the task accepts the message: a QoS 1/2 publisher's PUBACK/PUBREC waits for it. A fault is logged and
/// answered with reason code 0x83 (implementation specific error) to a v5 publisher.
/// </summary>
public delegate ValueTask LocalMessageHandler(LocalMessage message, CancellationToken ct);

/// <summary>A message routed to an in-process subscriber (a view of the broker's message: no copy, no allocation).</summary>
public readonly struct LocalMessage
{
    private readonly BrokerMessage _message;

    internal LocalMessage(BrokerMessage message, MqttQos qos, bool retain = false)
    {
        _message = message;
        Qos = qos;
        Retain = retain;
    }

    /// <summary>The topic name.</summary>
    public string Topic => _message.Topic;

    /// <summary>The payload; valid until the handler's task completes unless a reference is taken.</summary>
    public ReadOnlyMemory<byte> Payload => _message.Payload;

    /// <summary>Delivery QoS: the lower of the published QoS and the subscription's maximum.</summary>
    public MqttQos Qos { get; }

    /// <summary>True for a retained message replayed when the subscription was made (live messages: false).</summary>
    public bool Retain { get; }

    /// <summary>v5 content type, if any.</summary>
    public string? ContentType => _message.ContentType;

    /// <summary>v5 payload format indicator (UTF-8).</summary>
    public bool PayloadIsUtf8 => _message.PayloadIsUtf8;

    /// <summary>v5 response topic, if any.</summary>
    public string? ResponseTopic => _message.ResponseTopic;

    /// <summary>v5 correlation data.</summary>
    public ReadOnlyMemory<byte> CorrelationData => _message.CorrelationData;

    /// <summary>v5 user properties, if any.</summary>
    public IReadOnlyList<KeyValuePair<string, string>>? UserProperties => _message.UserProperties;

    /// <summary>Client that published the message; null for messages published in process.</summary>
    public string? SenderClientId => _message.SenderClientId;

    /// <summary>Keeps the payload alive past the handler until the returned reference is disposed (once).</summary>
    public LocalPayloadReference TakeReference() => new(_message.AddRef());
}

/// <summary>A reference on a routed message's pooled payload; dispose it exactly once to give the payload back.</summary>
public readonly struct LocalPayloadReference : IDisposable
{
    private readonly BrokerMessage? _message;

    internal LocalPayloadReference(BrokerMessage message) => _message = message;

    /// <summary>The payload, valid until <see cref="Dispose"/>.</summary>
    public ReadOnlyMemory<byte> Payload => _message?.Payload ?? default;

    /// <summary>Gives the reference back.</summary>
    public void Dispose() => _message?.Release();
}

/// <summary>
/// In-process subscribers: matched through their own <see cref="SubscriptionTree"/> (the same level-by-level matching as
/// network sessions, no scan), called inline on the publisher's connection (no encode, no socket, no thread hop). ACLs do
/// not apply (the subscriber is trusted code). Shared subscriptions (<c>$share/g/filter</c>) spread messages over the
/// local members of a group; No Local skips messages published in process (<c>Publish</c>). Retained messages are
/// replayed when asked for (not to shared subscriptions, as for network sessions).
/// </summary>
public sealed partial class MqttBroker
{
    [ThreadStatic] private static List<BrokerSubscription>? t_localMatches;
    [ThreadStatic] private static List<SharedGroup>? t_localGroups;
    [ThreadStatic] private static MqttPublishPacket? t_publishPacket;

    private readonly SubscriptionTree _localTree = new();
    private readonly ConcurrentDictionary<BrokerSession, LocalSubscriber> _localSubscribers = new(ReferenceEqualityComparer.Instance);
    private readonly ConcurrentDictionary<BrokerConnection, OrderedAcks> _orderedAcks = new(ReferenceEqualityComparer.Instance);
    private int _localIds;

    private sealed class LocalSubscriber(BrokerSession key, BrokerSubscription subscription, LocalMessageHandler handler, bool noLocal)
    {
        public BrokerSession Key { get; } = key;
        public BrokerSubscription Subscription { get; } = subscription;
        public LocalMessageHandler Handler { get; } = handler;
        public bool NoLocal { get; } = noLocal;
    }

    /// <summary>In-process subscribers.</summary>
    public int LocalSubscriptionCount => _localTree.Count;

    /// <summary>
    /// Publishes from inside the process without a message object: the payload is copied once into a pooled buffer shared
    /// by every queue it enters (as for a network PUBLISH), so the caller may reuse its buffer at once. Not retained.
    /// Returns the number of sessions and local subscribers reached.
    /// </summary>
    /// <exception cref="ArgumentException">The topic is not a valid topic name.</exception>
    public int Publish(string topic, ReadOnlyMemory<byte> payload, MqttQos qos, string? contentType = null)
    {
        ArgumentNullException.ThrowIfNull(topic);
        if (!MqttTopic.IsValidTopicName(topic))
        {
            throw new ArgumentException($"'{topic}' is not a valid topic name (non-empty, no wildcards)", nameof(topic));
        }
        // A per-thread packet only carries the fields into BrokerMessage.From, which copies what it keeps.
        var p = t_publishPacket ??= new MqttPublishPacket();
        p.Topic = topic;
        p.Payload = payload;
        p.Qos = qos;
        p.ContentType = contentType;
        BrokerMessage message;
        try
        {
            message = BrokerMessage.From(p, topic, null);
        }
        finally
        {
            p.Payload = default;
        }
        try
        {
            return Route(message);
        }
        finally
        {
            message.Release();
        }
    }

    /// <summary>
    /// Subscribes <paramref name="handler"/> in process to <paramref name="filter"/> (wildcards; <c>$share/group/filter</c>);
    /// dispose the result to unsubscribe (calls already running finish).
    /// </summary>
    /// <param name="filter">Topic filter.</param>
    /// <param name="maxQos">Highest QoS delivered; at 1 or 2 the publisher's acknowledgement waits for the handler.</param>
    /// <param name="handler">Called inline on the publishing connection; must not block.</param>
    /// <param name="noLocal">Skip messages published in process through <c>Publish</c>.</param>
    /// <param name="replayRetained">
    /// Call the handler, before returning, with the retained messages matching the filter (flagged
    /// <see cref="LocalMessage.Retain"/>; never for a shared subscription). A message published while this runs may
    /// arrive both live and retained, as over the network.
    /// </param>
    public IDisposable SubscribeLocal(string filter, MqttQos maxQos, LocalMessageHandler handler, bool noLocal = false, bool replayRetained = false)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(handler);
        if (!MqttTopic.IsValidTopicFilter(filter))
        {
            throw new ArgumentException($"'{filter}' is not a valid topic filter (levels split by '/', '+' a whole level, '#' last)", nameof(filter));
        }
        string? group = null;
        var topicFilter = filter;
        if (MqttTopic.TryParseShared(filter, out var g, out var inner))
        {
            group = g;
            topicFilter = inner;
        }
        // The tree keys subscriptions by session: each local subscription is its own (never connected) session.
        var key = new BrokerSession("$local/" + Interlocked.Increment(ref _localIds), 0, 0);
        var sub = new BrokerSubscription(key, filter, topicFilter, group, new MqttSubscription(filter, maxQos));
        var local = new LocalSubscriber(key, sub, handler, noLocal);
        _localSubscribers[key] = local;
        _localTree.Add(sub);
        if (replayRetained && group is null)
        {
            ReplayRetained(local, topicFilter, maxQos);
        }
        return new LocalSubscription(this, local);
    }

    /// <summary>Hands the retained messages matching <paramref name="topicFilter"/> to a new local subscriber (§3.3.1.3).</summary>
    private void ReplayRetained(LocalSubscriber local, string topicFilter, MqttQos maxQos)
    {
        var retained = new List<BrokerMessage>();
        _retained.Match(topicFilter, retained);
        foreach (var m in retained)
        {
            if (local.NoLocal && m.SenderClientId is null)
            {
                continue;
            }
            // Nobody waits on the outcome (no publisher to acknowledge); a failure was logged like any handler's.
            InvokeLocal(local, m, m.Qos < maxQos ? m.Qos : maxQos, retain: true)?.ContinueWith(static t => _ = t.Exception, CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private sealed class LocalSubscription(MqttBroker broker, LocalSubscriber local) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                broker._localTree.Remove(local.Key, local.Subscription.TopicFilter, local.Subscription.ShareGroup);
                broker._localSubscribers.TryRemove(local.Key, out _);
            }
        }
    }

    /// <summary>
    /// Calls the local subscribers matching <paramref name="message"/>; returns how many. <paramref name="accepted"/> is null
    /// when every handler at QoS ≥ 1 finished inline, else a task completing when they all have (faulted if one failed).
    /// </summary>
    private int DeliverLocal(BrokerMessage message, out Task? accepted)
    {
        accepted = null;
        if (_localTree.Count == 0)
        {
            return 0;
        }
        // Taken off the thread for the duration: a handler publishing in process re-enters here with fresh lists.
        var matches = t_localMatches ?? new List<BrokerSubscription>(4);
        var groups = t_localGroups ?? new List<SharedGroup>(2);
        t_localMatches = null;
        t_localGroups = null;
        var count = 0;
        try
        {
            _localTree.Match(message.Topic, matches, groups);
            foreach (var group in groups)
            {
                if (group.Pick() is { } member)
                {
                    matches.Add(member);
                }
            }
            foreach (var sub in matches)
            {
                if (_localSubscribers.TryGetValue(sub.Session, out var local) && !(local.NoLocal && message.SenderClientId is null))
                {
                    count++;
                    var qos = message.Qos < sub.Qos ? message.Qos : sub.Qos;
                    var pending = InvokeLocal(local, message, qos);
                    if (pending != null && qos != MqttQos.AtMostOnce)
                    {
                        accepted = accepted is null ? pending : Task.WhenAll(accepted, pending);
                    }
                }
            }
        }
        finally
        {
            matches.Clear();
            groups.Clear();
            t_localMatches = matches;
            t_localGroups = groups;
        }
        return count;
    }

    /// <summary>Runs one handler; returns null when it finished inline, else a task that holds a payload reference until it ends.</summary>
    private Task? InvokeLocal(LocalSubscriber local, BrokerMessage message, MqttQos qos, bool retain = false)
    {
        ValueTask done;
        try
        {
            done = local.Handler(new LocalMessage(message, qos, retain), _stopping?.Token ?? CancellationToken.None);
        }
        catch (Exception ex)
        {
            LogLocalFailure(local, message, ex);
            return Task.FromException(ex);
        }
        if (done.IsCompletedSuccessfully)
        {
            return null;
        }
        if (done.IsFaulted || done.IsCanceled)
        {
            var failed = done.AsTask();
            LogLocalFailure(local, message, failed.Exception?.InnerException ?? new OperationCanceledException());
            return failed;
        }
        message.AddRef();
        return AwaitLocalAsync(local, message, done);
    }

    private async Task AwaitLocalAsync(LocalSubscriber local, BrokerMessage message, ValueTask done)
    {
        try
        {
            await done.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogLocalFailure(local, message, ex);
            throw;
        }
        finally
        {
            message.Release();
        }
    }

    private void LogLocalFailure(LocalSubscriber local, BrokerMessage message, Exception ex)
    {
        if (ex is OperationCanceledException)
        {
            // The subscriber is shutting down (its own token): not a fault worth an error line.
            _logger.LogDebug("local subscriber to {Filter} cancelled a message on {Topic}", local.Subscription.Filter, message.Topic);
            return;
        }
        _logger.LogError(ex, "local subscriber to {Filter} failed on a message on {Topic}; the broker carries on", local.Subscription.Filter, message.Topic);
    }

    /// <summary>
    /// PUBACK/PUBREC in the order the PUBLISH packets arrived [MQTT-4.6.0-2/3], each after its local handlers accepted the
    /// message: with nothing pending the ordinary path; otherwise the connection's ordered queue.
    /// </summary>
    private void AcknowledgeOrdered(BrokerConnection connection, MqttPacketType type, ushort packetId, MqttReasonCode code, Task? accepted)
    {
        if (accepted is null && (_orderedAcks.IsEmpty || !_orderedAcks.ContainsKey(connection)))
        {
            connection.AckPublish(type, packetId, code);
            return;
        }
        while (true)
        {
            var queue = _orderedAcks.GetOrAdd(connection, static (c, b) => new OrderedAcks(b, c), this);
            var added = queue.TryAdd(type, packetId, code, accepted, Options.MaxInflightMessages);
            if (added == null)
            {
                continue; // drained and removed meanwhile: start a new queue
            }
            if (added == false)
            {
                // [MQTT-3.3.4-7]: no more unacknowledged QoS 1/2 PUBLISH packets than the Receive Maximum we announced. A v3.1.1
                // client has no such limit to respect, but the waiting acknowledgements must stay bounded all the same.
                connection.Disconnect(MqttReasonCode.ReceiveMaximumExceeded,
                    $"more than {Options.MaxInflightMessages} QoS 1/2 messages awaiting acknowledgement while in-process subscribers are busy");
            }
            return;
        }
    }

    /// <summary>One connection's acknowledgements waiting behind a pending local handler; removed once drained.</summary>
    private sealed class OrderedAcks(MqttBroker broker, BrokerConnection connection)
    {
        private readonly Queue<(MqttPacketType Type, ushort Id, MqttReasonCode Code, Task? Accepted)> _entries = new();
        private Task? _hooked;
        private bool _closed;

        /// <summary>Queues one acknowledgement: null when this queue is already retired, false when it holds <paramref name="limit"/>.</summary>
        public bool? TryAdd(MqttPacketType type, ushort id, MqttReasonCode code, Task? accepted, int limit)
        {
            lock (_entries)
            {
                if (_closed)
                {
                    return null;
                }
                if (_entries.Count >= limit)
                {
                    return false;
                }
                _entries.Enqueue((type, id, code, accepted));
                Drain();
                return true;
            }
        }

        /// <summary>Sends every ready acknowledgement from the head (under the lock, so nothing overtakes).</summary>
        private void Drain()
        {
            var flushed = false;
            while (_entries.TryPeek(out var head))
            {
                if (head.Accepted is { IsCompleted: false } pending)
                {
                    if (ReferenceEquals(_hooked, pending))
                    {
                        return;
                    }
                    _hooked = pending;
                    pending.ContinueWith(static (_, s) => ((OrderedAcks)s!).OnAccepted(), this, CancellationToken.None,
                        TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                    return;
                }
                _entries.Dequeue();
                var code = head.Code;
                if (head.Accepted is { IsCompletedSuccessfully: false } && connection.Version == MqttProtocolVersion.V500)
                {
                    code = MqttReasonCode.ImplementationSpecificError;
                }
                if (!flushed && broker.DefersPublishAcks)
                {
                    // The acknowledgement promises the journal has the message (see BrokerConnection.AckPublish).
                    broker.FlushJournal();
                    flushed = true;
                }
                connection.SendAck(head.Type, head.Id, code);
            }
            _closed = true;
            broker._orderedAcks.TryRemove(new KeyValuePair<BrokerConnection, OrderedAcks>(connection, this));
        }

        private void OnAccepted()
        {
            lock (_entries)
            {
                Drain();
            }
        }
    }
}
