using System.Buffers;
using System.Net.Sockets;
using EdgeHub.Mqtt.Formatter;
using EdgeHub.Mqtt.Packets;

namespace EdgeHub.Mqtt.Tests;

/// <summary>A hand-driven MQTT connection: send any bytes or packets, read packets back (for protocol-level tests).</summary>
internal sealed class RawConnection : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly MqttPacketEncoder _encoder;
    private readonly MqttPacketDecoder _decoder;
    private byte[] _buffer = new byte[1 << 16];
    private int _filled;

    private RawConnection(TcpClient tcp, MqttProtocolVersion version)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
        _encoder = new MqttPacketEncoder(version);
        _decoder = new MqttPacketDecoder(version);
    }

    public static async Task<RawConnection> OpenAsync(int port, MqttProtocolVersion version = MqttProtocolVersion.V500)
    {
        var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync("127.0.0.1", port);
        return new RawConnection(tcp, version);
    }

    public static async Task<RawConnection> ConnectAsync(int port, string clientId, MqttProtocolVersion version = MqttProtocolVersion.V500, Action<MqttConnectPacket>? configure = null)
    {
        var raw = await OpenAsync(port, version);
        var connect = new MqttConnectPacket { ProtocolVersion = version, ClientId = clientId, KeepAlive = 0 };
        configure?.Invoke(connect);
        await raw.SendAsync(connect);
        var ack = Assert.IsType<MqttConnAckPacket>(await raw.ReadAsync());
        Assert.Equal(Protocol.MqttReasonCode.Success, ack.ReasonCode);
        return raw;
    }

    /// <summary>The socket's stream, for tests that read the raw bytes at their own pace.</summary>
    public NetworkStream Stream => _stream;

    public Task SendAsync(MqttPacket packet) => SendAsync(_encoder.Encode(packet));

    public async Task SendAsync(byte[] bytes) => await _stream.WriteAsync(bytes);

    /// <summary>Next packet, or null when the broker closed the connection.</summary>
    public async Task<MqttPacket?> ReadAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TestSupport.Timeout);
        while (true)
        {
            if (TryDecode(out var packet))
            {
                return packet;
            }
            if (_filled == _buffer.Length)
            {
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }
            int n;
            try
            {
                n = await _stream.ReadAsync(_buffer.AsMemory(_filled), cts.Token);
            }
            catch (IOException)
            {
                return null;
            }
            if (n == 0)
            {
                return null;
            }
            _filled += n;
        }
    }

    private bool TryDecode(out MqttPacket? packet)
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(_buffer, 0, _filled));
        if (!_decoder.TryRead(ref reader, out packet))
        {
            return false;
        }
        if (packet is MqttPublishPacket p)
        {
            p.Payload = p.Payload.ToArray(); // detach from the buffer we are about to shift
        }
        var used = (int)reader.Consumed;
        Buffer.BlockCopy(_buffer, used, _buffer, 0, _filled - used);
        _filled -= used;
        return true;
    }

    /// <summary>Reads until the broker closes the connection; returns the last packet seen (e.g. DISCONNECT).</summary>
    public async Task<MqttPacket?> ReadUntilClosedAsync()
    {
        MqttPacket? last = null;
        while (await ReadAsync() is { } packet)
        {
            last = packet;
        }
        return last;
    }

    public async ValueTask DisposeAsync()
    {
        _tcp.Dispose();
        _encoder.Dispose();
        _decoder.Dispose();
        await Task.CompletedTask;
    }
}
