using System.Buffers;
using EdgeHub.Mqtt.Packets;
using EdgeHub.Mqtt.Protocol;
using Microsoft.Extensions.Logging;

namespace EdgeHub.Mqtt.Broker;

/// <summary>The write loop: encodes queued items into the pipe writer, flushing once per burst (or every 64 KB).</summary>
internal sealed partial class BrokerConnection
{
    private readonly MqttPubAckPacket _pubAck = new();
    private readonly MqttPubRecPacket _pubRec = new();
    private readonly MqttPubRelPacket _pubRel = new();
    private readonly MqttPubCompPacket _pubComp = new();
    private Dictionary<string, ushort>? _outAliases;

    private async Task WriteLoopAsync()
    {
        var queue = _outbound;
        try
        {
            while (await queue.WaitToReadAsync().ConfigureAwait(false))
            {
                while (queue.TryRead(out var item))
                {
                    Interlocked.Decrement(ref _queued);
                    WriteItem(item);
                    if (_output.UnflushedBytes > 65536)
                    {
                        FlushJournalIfNeeded();
                        await _output.FlushAsync().ConfigureAwait(false);
                    }
                }
                FlushJournalIfNeeded();
                var flush = await _output.FlushAsync().ConfigureAwait(false);
                if (flush.IsCompleted)
                {
                    break;
                }
                if (queue.Count == 0)
                {
                    // Idle: an idle connection holds no encode buffer (thousands of quiet devices per edge).
                    _encoder.ReleaseBuffers();
                }
            }
            await _output.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            _logger.LogDebug("write to {Remote} ({ClientId}) ended: {Message}", Remote, ClientId, ex.Message);
        }
        catch (Exception ex)
        {
            // A bug, not a peer going away: say so instead of leaving a faulted task nobody observes.
            _logger.LogError(ex, "write loop of {Remote} ({ClientId}) failed", Remote, ClientId);
        }
        finally
        {
            _outbound.TryComplete();
            ReleaseUnsent(queue);
            await _output.CompleteAsync().ConfigureAwait(false);
            if (_closeAfterFlush || Volatile.Read(ref _closing) != 0)
            {
                Abort();
            }
        }
    }

    private void FlushJournalIfNeeded()
    {
        if (Interlocked.Exchange(ref _journalBeforeWrite, 0) != 0)
        {
            _broker.FlushJournal();
        }
    }

    /// <summary>Gives back the payload references of PUBLISH entries that will never be written (connection gone).</summary>
    private void ReleaseUnsent(OutboundQueue<Outbound> queue)
    {
        while (queue.TryRead(out var item))
        {
            Unqueued(item);
            item.Message?.Release();
        }
    }

    /// <summary>A PUBLISH left the queue (written or dropped): its QoS 0 bytes no longer count against the limit.</summary>
    private void Unqueued(in Outbound item)
    {
        if (item is { Kind: OutKind.Publish, Qos: MqttQos.AtMostOnce })
        {
            Interlocked.Add(ref _queuedQos0Bytes, -item.Message!.Payload.Length);
        }
    }

    private void WriteItem(in Outbound item)
    {
        switch (item.Kind)
        {
            case OutKind.Publish:
                try
                {
                    WritePublish(item);
                }
                finally
                {
                    Unqueued(item);
                    item.Message!.Release();
                }
                break;
            case OutKind.Ack:
                MqttAckPacket ack = item.AckType switch
                {
                    MqttPacketType.PubAck => _pubAck,
                    MqttPacketType.PubRec => _pubRec,
                    MqttPacketType.PubRel => _pubRel,
                    _ => _pubComp,
                };
                ack.PacketId = item.PacketId;
                ack.ReasonCode = item.Code;
                _encoder.Write(ack, _output);
                break;
            default:
                _encoder.Write(item.Packet!, _output);
                break;
        }
    }

    private void WritePublish(in Outbound item)
    {
        var m = item.Message!;
        var p = _outPublish;
        var (alias, newAlias) = OutboundAlias(m.Topic);
        p.Topic = alias != 0 && !newAlias ? "" : m.Topic;
        p.TopicAlias = alias;
        p.Payload = m.Payload;
        p.Qos = item.Qos;
        p.PacketId = item.PacketId;
        p.Retain = item.Retain;
        p.Dup = item.Dup;
        p.PayloadIsUtf8 = m.PayloadIsUtf8;
        p.ContentType = m.ContentType;
        p.ResponseTopic = m.ResponseTopic;
        p.CorrelationData = m.CorrelationData;
        p.UserProperties = m.UserProperties;
        p.MessageExpiryInterval = m.MessageExpiryInterval is null ? null : m.RemainingExpiry(Environment.TickCount64);
        p.SubscriptionIdentifiers = item.SubscriptionIds;
        var head = _encoder.EncodeHead(p, out var payload);
        if (PeerMaximumPacketSize != 0 && head.Length + payload.Length > PeerMaximumPacketSize)
        {
            // [MQTT-3.1.2-25]: never send a packet larger than the client accepts; the message is discarded for it.
            _logger.LogDebug("dropping {Size}-byte message on {Topic} for {ClientId}: above its maximum packet size", head.Length + payload.Length, m.Topic, ClientId);
            if (item.Qos != MqttQos.AtMostOnce)
            {
                Session?.Complete(item.PacketId);
            }
            return;
        }
        if (newAlias)
        {
            // Only now: a message dropped above never told the client about the alias.
            _outAliases!.Add(m.Topic, alias);
        }
        _output.Write(head.Span);
        if (!payload.IsEmpty)
        {
            _output.Write(payload.Span);
        }
    }

    /// <summary>
    /// Outbound topic aliases (§3.3.2.3.4, never above the client's maximum [MQTT-3.3.2-11]) for a v5 client that accepts them (CONNECT Topic Alias Maximum &gt; 0): the
    /// first message on a topic carries the topic and a new alias, later ones the alias alone. Aliases live as long as
    /// the network connection; once the client's maximum is used up, further topics go out in full.
    /// </summary>
    private (ushort Alias, bool IsNew) OutboundAlias(string topic)
    {
        if (PeerTopicAliasMaximum == 0)
        {
            return (0, false);
        }
        _outAliases ??= new Dictionary<string, ushort>(StringComparer.Ordinal);
        if (_outAliases.TryGetValue(topic, out var alias))
        {
            return (alias, false);
        }
        return _outAliases.Count < PeerTopicAliasMaximum ? ((ushort)(_outAliases.Count + 1), true) : ((ushort)0, false);
    }
}
