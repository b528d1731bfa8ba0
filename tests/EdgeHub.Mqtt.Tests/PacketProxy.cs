using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using EdgeHub.Mqtt.Protocol;

namespace EdgeHub.Mqtt.Tests;

/// <summary>One MQTT packet that passed through a <see cref="PacketProxy"/> (or was dropped by it).</summary>
internal sealed record ProxiedPacket(bool FromClient, MqttPacketType Type, ushort PacketId, MqttReasonCode Reason, bool Dup, bool Dropped);

/// <summary>
/// A TCP proxy between a client and a broker that frames the MQTT byte stream in both directions (fixed header and
/// remaining length only), logs every packet with its identifier, and drops the packets <see cref="Drop"/> selects.
/// Crash tests use it to freeze a QoS 2 exchange at an exact step before the broker is killed, and to check what the
/// restarted broker resends. The upstream port can change between connections (the broker restarts on a new port).
/// </summary>
internal sealed class PacketProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<TcpClient> _sockets = [];
    private readonly Task _accepting;

    public PacketProxy(int upstreamPort)
    {
        UpstreamPort = upstreamPort;
        _listener.Start();
        _accepting = AcceptLoopAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int UpstreamPort { get; set; }

    /// <summary>Packets not forwarded when this returns true (evaluated once per packet, in stream order).</summary>
    public Func<ProxiedPacket, bool>? Drop { get; set; }

    /// <summary>Every packet seen, in order per direction.</summary>
    public ConcurrentQueue<ProxiedPacket> Log { get; } = new();

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        _sockets.Add(client);
        var upstream = new TcpClient { NoDelay = true };
        _sockets.Add(upstream);
        try
        {
            await upstream.ConnectAsync(IPAddress.Loopback, UpstreamPort, _stop.Token);
            client.NoDelay = true;
            var up = PumpAsync(client.GetStream(), upstream.GetStream(), fromClient: true);
            var down = PumpAsync(upstream.GetStream(), client.GetStream(), fromClient: false);
            await Task.WhenAny(up, down);
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            // Either side gone: the other sees the connection drop, as it would without the proxy.
            client.Dispose();
            upstream.Dispose();
        }
    }

    private async Task PumpAsync(NetworkStream source, NetworkStream target, bool fromClient)
    {
        var buffer = new byte[1 << 16];
        var filled = 0;
        try
        {
            while (true)
            {
                if (filled == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }
                var n = await source.ReadAsync(buffer.AsMemory(filled), _stop.Token);
                if (n == 0)
                {
                    return;
                }
                filled += n;
                var offset = 0;
                while (TryFrame(buffer.AsSpan(offset, filled - offset), out var length, out var headerLength))
                {
                    var packet = Describe(buffer.AsSpan(offset, length), headerLength, fromClient);
                    var drop = Drop?.Invoke(packet) == true;
                    Log.Enqueue(drop ? packet with { Dropped = true } : packet);
                    if (!drop)
                    {
                        await target.WriteAsync(buffer.AsMemory(offset, length), _stop.Token);
                    }
                    offset += length;
                }
                Buffer.BlockCopy(buffer, offset, buffer, 0, filled - offset);
                filled -= offset;
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    /// <summary>A complete packet at the start of <paramref name="data"/>: total and fixed-header length.</summary>
    private static bool TryFrame(ReadOnlySpan<byte> data, out int length, out int headerLength)
    {
        length = headerLength = 0;
        var remaining = 0;
        for (var i = 1; i < 5; i++)
        {
            if (i >= data.Length)
            {
                return false;
            }
            remaining |= (data[i] & 0x7F) << (7 * (i - 1));
            if ((data[i] & 0x80) == 0)
            {
                headerLength = i + 1;
                length = headerLength + remaining;
                return data.Length >= length;
            }
        }
        throw new InvalidDataException("malformed remaining length in the proxied stream");
    }

    private static ProxiedPacket Describe(ReadOnlySpan<byte> packet, int headerLength, bool fromClient)
    {
        var type = (MqttPacketType)(packet[0] >> 4);
        var body = packet[headerLength..];
        ushort id = 0;
        var reason = MqttReasonCode.Success;
        var dup = false;
        if (type == MqttPacketType.Publish)
        {
            var qos = (packet[0] >> 1) & 3;
            dup = (packet[0] & 8) != 0;
            var topicLength = (body[0] << 8) | body[1];
            if (qos > 0)
            {
                id = (ushort)((body[2 + topicLength] << 8) | body[3 + topicLength]);
            }
        }
        else if (type is MqttPacketType.PubAck or MqttPacketType.PubRec or MqttPacketType.PubRel or MqttPacketType.PubComp)
        {
            id = (ushort)((body[0] << 8) | body[1]);
            reason = body.Length > 2 ? (MqttReasonCode)body[2] : MqttReasonCode.Success;
        }
        return new ProxiedPacket(fromClient, type, id, reason, dup, false);
    }

    /// <summary>Closes every relayed connection (both sides see it drop); new ones are still accepted.</summary>
    public void CutAll()
    {
        while (_sockets.TryTake(out var socket))
        {
            socket.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        CutAll();
        await _accepting;
        _stop.Dispose();
    }
}
