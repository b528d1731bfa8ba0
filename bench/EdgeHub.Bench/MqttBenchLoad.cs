using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using EdgeHub.Mqtt;
using EdgeHub.Mqtt.Formatter;
using EdgeHub.Mqtt.Packets;

namespace EdgeHub.Bench;

/// <summary>
/// The load generator used against both brokers: raw MQTT 5 connections over sockets with pre-encoded packets, so its
/// own cost is small and identical for ours and mosquitto. Publishers honour a shared outstanding-message window
/// (closed loop), so neither broker is measured while dropping messages.
/// </summary>
internal sealed class MqttLoadConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _receive = new byte[1 << 16];
    private int _filled;

    private MqttLoadConnection(Socket socket) => _socket = socket;

    public static async Task<MqttLoadConnection> ConnectAsync(int port, string clientId, CancellationToken ct)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync("127.0.0.1", port, ct).ConfigureAwait(false);
        var connection = new MqttLoadConnection(socket);
        using var encoder = new MqttPacketEncoder(MqttProtocolVersion.V500);
        await connection.SendAsync(encoder.Encode(new MqttConnectPacket { ClientId = clientId, KeepAlive = 0, ReceiveMaximum = 65535 }), ct).ConfigureAwait(false);
        var (type, _) = await connection.ReadPacketAsync(ct).ConfigureAwait(false);
        if (type >> 4 != 2)
        {
            throw new InvalidOperationException($"expected CONNACK from port {port}, got packet type {type >> 4}");
        }
        return connection;
    }

    public ValueTask<int> SendAsync(ReadOnlyMemory<byte> data, CancellationToken ct) => _socket.SendAsync(data, SocketFlags.None, ct);

    public async Task SubscribeAsync(string filter, MqttQos qos, CancellationToken ct)
    {
        using var encoder = new MqttPacketEncoder(MqttProtocolVersion.V500);
        await SendAsync(encoder.Encode(new MqttSubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription(filter, qos)] }), ct).ConfigureAwait(false);
        var (type, _) = await ReadPacketAsync(ct).ConfigureAwait(false);
        if (type >> 4 != 9)
        {
            throw new InvalidOperationException($"expected SUBACK, got packet type {type >> 4}");
        }
    }

    /// <summary>Reads one whole packet (type byte, body) — used only for the handshake.</summary>
    private async Task<(byte Type, byte[] Body)> ReadPacketAsync(CancellationToken ct)
    {
        while (true)
        {
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(_receive, 0, _filled));
            if (MqttPacketDecoder.TryReadFrame(ref reader, int.MaxValue, out var first, out var body))
            {
                var result = (first, body.ToArray());
                var used = (int)reader.Consumed;
                Buffer.BlockCopy(_receive, used, _receive, 0, _filled - used);
                _filled -= used;
                return result;
            }
            var n = await _socket.ReceiveAsync(_receive.AsMemory(_filled), SocketFlags.None, ct).ConfigureAwait(false);
            if (n == 0)
            {
                throw new IOException("broker closed the connection");
            }
            _filled += n;
        }
    }

    /// <summary>
    /// Receives until cancelled: counts PUBLISH packets (QoS 1 ones are acknowledged in one write per read) and PUBACKs.
    /// </summary>
    public async Task ReceiveLoopAsync(Action<int> onPublishes, Action<int>? onAcks, CancellationToken ct)
    {
        // Every packet is at least 4 bytes and each PUBACK is 4 bytes: acks for one receive buffer always fit.
        var acks = new byte[_receive.Length];
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var n = await _socket.ReceiveAsync(_receive.AsMemory(_filled), SocketFlags.None, ct).ConfigureAwait(false);
                if (n == 0)
                {
                    return;
                }
                _filled += n;
                var (publishes, pubAcks, ackLength) = Parse(acks);
                if (ackLength > 0)
                {
                    await SendAsync(acks.AsMemory(0, ackLength), ct).ConfigureAwait(false);
                }
                if (publishes > 0)
                {
                    onPublishes(publishes);
                }
                if (pubAcks > 0)
                {
                    onAcks?.Invoke(pubAcks);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private (int Publishes, int PubAcks, int AckLength) Parse(byte[] acks)
    {
        var publishes = 0;
        var pubAcks = 0;
        var ackLength = 0;
        Span<byte> head = stackalloc byte[2];
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(_receive, 0, _filled));
        while (MqttPacketDecoder.TryReadFrame(ref reader, int.MaxValue, out var first, out var body))
        {
            var type = first >> 4;
            if (type == 3)
            {
                publishes++;
                if (((first >> 1) & 3) == 1)
                {
                    // PUBACK needs the packet id right after the topic.
                    body.Slice(0, 2).CopyTo(head);
                    var topicLength = BinaryPrimitives.ReadUInt16BigEndian(head);
                    body.Slice(2 + topicLength, 2).CopyTo(head);
                    acks[ackLength++] = 0x40;
                    acks[ackLength++] = 2;
                    acks[ackLength++] = head[0];
                    acks[ackLength++] = head[1];
                }
            }
            else if (type == 4)
            {
                pubAcks++;
            }
        }
        var used = (int)reader.Consumed;
        if (used > 0)
        {
            Buffer.BlockCopy(_receive, used, _receive, 0, _filled - used);
            _filled -= used;
        }
        if (_filled == _receive.Length)
        {
            throw new InvalidOperationException("a packet larger than the 64 KB load-generator buffer arrived");
        }
        return (publishes, pubAcks, ackLength);
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>Pre-encoded PUBLISH packets for one publisher (packet ids cycle 1..65535).</summary>
internal sealed class PublishBatch
{
    private readonly byte[] _template;
    private readonly int _idOffset;

    public PublishBatch(string topic, int payloadSize, MqttQos qos)
    {
        using var encoder = new MqttPacketEncoder(MqttProtocolVersion.V500);
        _template = encoder.Encode(new MqttPublishPacket { Topic = topic, Qos = qos, PacketId = qos == MqttQos.AtMostOnce ? (ushort)0 : (ushort)1, Payload = new byte[payloadSize] });
        // Packet id sits right after the topic: fixed header + 2 + topic bytes.
        var headerLength = _template.Length - (int)RemainingLength(_template);
        _idOffset = headerLength + 2 + System.Text.Encoding.UTF8.GetByteCount(topic);
        Qos = qos;
    }

    public MqttQos Qos { get; }
    public int PacketLength => _template.Length;

    private static uint RemainingLength(byte[] packet)
    {
        uint value = 0;
        for (var i = 1; i < 5; i++)
        {
            value |= (uint)(packet[i] & 0x7F) << (7 * (i - 1));
            if ((packet[i] & 0x80) == 0)
            {
                break;
            }
        }
        return value;
    }

    /// <summary>Fills <paramref name="buffer"/> with <paramref name="count"/> packets; returns the bytes written.</summary>
    public int Fill(byte[] buffer, int count, ref ushort nextId)
    {
        var offset = 0;
        for (var i = 0; i < count; i++)
        {
            _template.CopyTo(buffer, offset);
            if (Qos != MqttQos.AtMostOnce)
            {
                nextId = nextId == ushort.MaxValue ? (ushort)1 : (ushort)(nextId + 1);
                BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(offset + _idOffset), nextId);
            }
            offset += _template.Length;
        }
        return offset;
    }
}
