using System.Buffers;
using System.Threading.Channels;
using EdgeHub.Mqtt.Client;
using EdgeHub.Mqtt.Packets;
using EdgeHub.Mqtt.Protocol;
using Microsoft.Extensions.Logging;

namespace EdgeHub.Mqtt;

/// <summary>
/// Incoming packets. Acknowledgements complete operations on the read loop; messages are copied and handed to one
/// dispatcher task, so a handler may itself publish and await PUBACK without blocking the read loop. QoS 1/2 messages
/// are acknowledged after the handler returns. The queue to the handler is bounded (<see cref="IncomingFlowControl"/>):
/// when full, the read loop stops reading the socket; nothing is dropped.
/// </summary>
public sealed partial class MqttClient
{
    /// <summary>Set on the dispatcher (and what its handlers start): calls from there count as the handler waiting on the broker.</summary>
    private static readonly AsyncLocal<MqttClient?> s_handlerOf = new();

    private readonly record struct Incoming(MqttApplicationMessage Message, byte[]? Rented, ushort PacketId, MqttQos Qos, ClientConnection Connection);

    private readonly Channel<Incoming> _dispatch = Channel.CreateUnbounded<Incoming>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly HashSet<ushort> _incomingQos2 = [];
    private Task? _dispatcher;
    private Exception? _lastDisconnectError;

    /// <summary>Messages received and not yet handled by <see cref="MessageReceived"/> (bounded by <see cref="MqttClientOptions.MaxIncomingMessages"/>).</summary>
    public int IncomingMessages => _flow.Messages;

    /// <summary>Payload bytes of <see cref="IncomingMessages"/> (bounded by <see cref="MqttClientOptions.MaxIncomingBytes"/>).</summary>
    public long IncomingBytes => _flow.Bytes;

    /// <summary>Times the client stopped reading the socket because the handler fell behind (TCP back-pressure).</summary>
    public long IncomingPauses => _flow.Pauses;

    /// <summary>
    /// Marks a call that waits for the broker: from inside a handler, reading must continue meanwhile or the awaited
    /// acknowledgement could sit behind PUBLISH packets the full queue no longer reads.
    /// </summary>
    private HandlerWait EnterBrokerWait() => s_handlerOf.Value == this ? new HandlerWait(_flow) : default;

    private readonly struct HandlerWait : IDisposable
    {
        private readonly IncomingFlowControl? _flow;

        public HandlerWait(IncomingFlowControl flow)
        {
            _flow = flow;
            flow.HandlerWaitBegin();
        }

        public void Dispose() => _flow?.HandlerWaitEnd();
    }

    private void EnsureDispatcher() => _dispatcher ??= Task.Run(DispatchLoopAsync);

    private bool OnPacket(ClientConnection connection, MqttPacket packet)
    {
        switch (packet)
        {
            case MqttPublishPacket publish:
                OnPublish(connection, publish);
                return true;
            case MqttPubAckPacket ack:
                Complete(ack.PacketId, ack);
                return true;
            case MqttPubRecPacket rec:
                OnPubRec(connection, rec);
                return true;
            case MqttPubRelPacket rel:
                lock (_sync)
                {
                    _incomingQos2.Remove(rel.PacketId);
                }
                connection.Enqueue(new MqttPubCompPacket { PacketId = rel.PacketId });
                return true;
            case MqttPubCompPacket comp:
                Complete(comp.PacketId, comp);
                return true;
            case MqttSubAckPacket subAck:
                Complete(subAck.PacketId, subAck);
                return true;
            case MqttUnsubAckPacket unsubAck:
                Complete(unsubAck.PacketId, unsubAck);
                return true;
            case MqttPingRespPacket:
                return true;
            case MqttAuthPacket auth:
                OnReauthPacket(connection, auth);
                return true;
            case MqttDisconnectPacket disconnect:
                var disconnected = new MqttException(
                    $"broker disconnected us: {disconnect.ReasonCode}{(disconnect.ReasonString is null ? "" : " (" + disconnect.ReasonString + ")")}", disconnect.ReasonCode);
                _lastDisconnectError = disconnected;
                FailReauthentication(disconnected);
                return false;
            default:
                throw new MqttProtocolException($"protocol error: a broker must not send {packet.Type} here", MqttReasonCode.ProtocolError);
        }
    }

    private void Complete(ushort packetId, MqttPacket ack)
    {
        PendingOperation? op;
        lock (_sync)
        {
            _pending.TryGetValue(packetId, out op);
        }
        op?.Succeed(ack);
    }

    private void OnPubRec(ClientConnection connection, MqttPubRecPacket rec)
    {
        PendingOperation? op;
        lock (_sync)
        {
            _pending.TryGetValue(rec.PacketId, out op);
        }
        if (op is null)
        {
            connection.Enqueue(new MqttPubRelPacket { PacketId = rec.PacketId, ReasonCode = MqttReasonCode.PacketIdentifierNotFound });
            return;
        }
        if (rec.ReasonCode >= MqttReasonCode.UnspecifiedError)
        {
            op.Succeed(rec); // PublishAsync turns the failure code into MqttPublishException
            return;
        }
        op.AwaitingComp = true;
        connection.Enqueue(new MqttPubRelPacket { PacketId = rec.PacketId });
    }

    private void OnPublish(ClientConnection connection, MqttPublishPacket publish)
    {
        var topic = connection.ResolveTopic(publish, Options.TopicAliasMaximum);
        if (publish.Qos == MqttQos.ExactlyOnce)
        {
            bool duplicate;
            lock (_sync)
            {
                duplicate = !_incomingQos2.Add(publish.PacketId);
            }
            if (duplicate)
            {
                // Already delivered to the handler; the broker missed our PUBREC (§4.3.3).
                connection.Enqueue(new MqttPubRecPacket { PacketId = publish.PacketId });
                return;
            }
        }
        var length = publish.Payload.Length;
        var rented = length > 0 ? ArrayPool<byte>.Shared.Rent(length) : null;
        publish.Payload.Span.CopyTo(rented);
        var message = new MqttApplicationMessage
        {
            Topic = topic,
            Payload = rented is null ? default : rented.AsMemory(0, length),
            Qos = publish.Qos,
            Retain = publish.Retain,
            Duplicate = publish.Dup,
            ContentType = publish.ContentType,
            ResponseTopic = publish.ResponseTopic,
            CorrelationData = publish.CorrelationData,
            MessageExpiryInterval = publish.MessageExpiryInterval,
            UserProperties = publish.UserProperties,
            PayloadIsUtf8 = publish.PayloadIsUtf8,
            SubscriptionIdentifiers = publish.SubscriptionIdentifiers,
        };
        _flow.Added(length);
        _dispatch.Writer.TryWrite(new Incoming(message, rented, publish.PacketId, publish.Qos, connection));
    }

    private async Task DispatchLoopAsync()
    {
        s_handlerOf.Value = this;
        var reader = _dispatch.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var incoming))
            {
                try
                {
                    if (MessageReceived is { } handler)
                    {
                        await handler(incoming.Message, _lifetime.Token).ConfigureAwait(false);
                    }
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    // The message is still acknowledged: redelivering a message the handler cannot take would loop forever.
                    _logger.LogError(ex, "MessageReceived handler failed for a message on {Topic}", incoming.Message.Topic);
                }
                finally
                {
                    if (incoming.Rented != null)
                    {
                        ArrayPool<byte>.Shared.Return(incoming.Rented);
                    }
                    _flow.Removed(incoming.Message.Payload.Length);
                }
                if (incoming.Connection.IsClosed)
                {
                    continue; // the broker redelivers it after the reconnect
                }
                switch (incoming.Qos)
                {
                    case MqttQos.AtLeastOnce:
                        incoming.Connection.Enqueue(new MqttPubAckPacket { PacketId = incoming.PacketId });
                        break;
                    case MqttQos.ExactlyOnce:
                        incoming.Connection.Enqueue(new MqttPubRecPacket { PacketId = incoming.PacketId });
                        break;
                }
            }
        }
    }
}
