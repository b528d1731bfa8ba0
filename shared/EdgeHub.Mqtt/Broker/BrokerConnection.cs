using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using EdgeHub.Mqtt.Formatter;
using EdgeHub.Mqtt.Packets;
using EdgeHub.Mqtt.Protocol;
using Microsoft.Extensions.Logging;

namespace EdgeHub.Mqtt.Broker;

/// <summary>
/// One client connection: a pipe read loop that frames and handles packets synchronously, and a write loop that drains
/// an outbound channel into the pipe writer and flushes once per burst.
/// </summary>
internal sealed partial class BrokerConnection : IDisposable
{
    private enum OutKind : byte { Publish, Ack, Packet }

    private readonly struct Outbound
    {
        public OutKind Kind { get; init; }
        public BrokerMessage? Message { get; init; }
        public MqttPacket? Packet { get; init; }
        public ushort PacketId { get; init; }
        public MqttQos Qos { get; init; }
        public bool Retain { get; init; }
        public bool Dup { get; init; }
        public MqttPacketType AckType { get; init; }
        public MqttReasonCode Code { get; init; }
        public uint[]? SubscriptionIds { get; init; }
    }

    private readonly MqttBroker _broker;
    private readonly Stream _stream;
    private readonly ReceiveBuffer _input;
    private readonly PipeWriter _output;
    private readonly OutboundQueue<Outbound> _outbound = new();
    private readonly MqttPacketDecoder _decoder = new();
    private readonly MqttPacketEncoder _encoder = new();
    private readonly MqttPublishPacket _outPublish = new();
    private readonly ILogger _logger;
    private int _queued;
    private long _queuedQos0Bytes;
    private int _closing;
    private int _journalBeforeWrite;
    private bool _closeAfterFlush;
    private List<(MqttPacketType Type, ushort PacketId, MqttReasonCode Code)>? _deferredAcks;

    public BrokerConnection(MqttBroker broker, Stream stream, EndPoint? remote, ILogger logger)
    {
        _broker = broker;
        _stream = stream;
        _logger = logger;
        Remote = remote?.ToString() ?? "?";
        _input = new ReceiveBuffer(broker.Options.MaxPacketSize);
        _output = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 16384));
        _decoder.MaximumPacketSize = broker.Options.MaxPacketSize;
        _decoder.ReusePublishPacket = true;
        LastActivity = Environment.TickCount64;
        CreatedAt = LastActivity;
    }

    public string Remote { get; }
    public long CreatedAt { get; }
    public long LastActivity { get; private set; }
    public BrokerSession? Session { get; private set; }
    public string ClientId => Session?.ClientId ?? "(connecting)";
    public string? Username { get; private set; }
    public MqttProtocolVersion Version { get; private set; } = MqttProtocolVersion.V500;
    public ushort KeepAlive { get; private set; }
    public ushort PeerReceiveMaximum { get; private set; } = ushort.MaxValue;
    public uint PeerMaximumPacketSize { get; private set; }
    /// <summary>Topic aliases the v5 client accepts from us (CONNECT Topic Alias Maximum; 0 = none).</summary>
    public ushort PeerTopicAliasMaximum { get; private set; }
    public MqttApplicationMessage? Will { get; private set; }
    public uint WillDelay { get; private set; }
    public bool IsClosed => Volatile.Read(ref _closing) != 0;

    /// <summary>
    /// Set (before queueing the PUBLISH) when a journal record must be flushed before queued bytes reach the socket:
    /// the packet identifier of a QoS 2 message sent to a persistent session.
    /// </summary>
    public bool JournalBeforeWrite
    {
        get => Volatile.Read(ref _journalBeforeWrite) != 0;
        set => Volatile.Write(ref _journalBeforeWrite, value ? 1 : 0);
    }

    /// <summary>Payload bytes of QoS 0 messages queued and not yet written (bounded by <see cref="MqttBrokerOptions.MaxQueuedBytes"/>).</summary>
    internal long QueuedQos0Bytes => Interlocked.Read(ref _queuedQos0Bytes);

    /// <summary>Queues a PUBLISH; QoS 0 is dropped (false) when the outbound backlog is at the queue's message or byte limit.</summary>
    public bool TrySendPublish(BrokerMessage message, MqttQos qos, ushort packetId, bool retain, bool dup, uint[]? subscriptionIds)
    {
        var qos0Bytes = 0;
        if (qos == MqttQos.AtMostOnce)
        {
            var queued = Volatile.Read(ref _queued);
            if (queued >= _broker.Options.MaxQueuedMessages)
            {
                return false;
            }
            qos0Bytes = message.Payload.Length;
            var limit = _broker.Options.MaxQueuedBytes;
            if (limit > 0 && queued > 0 && Interlocked.Read(ref _queuedQos0Bytes) + qos0Bytes > limit)
            {
                return false;
            }
            Interlocked.Add(ref _queuedQos0Bytes, qos0Bytes);
        }
        Interlocked.Increment(ref _queued);
        // The queue entry holds its own reference to the (pooled) payload until the write loop has copied it out.
        if (_outbound.TryWrite(new Outbound
        {
            Kind = OutKind.Publish, Message = message.AddRef(), Qos = qos, PacketId = packetId, Retain = retain, Dup = dup, SubscriptionIds = subscriptionIds,
        }))
        {
            return true;
        }
        Interlocked.Decrement(ref _queued);
        Interlocked.Add(ref _queuedQos0Bytes, -qos0Bytes);
        message.Release();
        return false;
    }

    public void SendAck(MqttPacketType type, ushort packetId, MqttReasonCode code)
    {
        Interlocked.Increment(ref _queued);
        _outbound.TryWrite(new Outbound { Kind = OutKind.Ack, AckType = type, PacketId = packetId, Code = code });
    }

    /// <summary>
    /// An acknowledgement that promises journaled state: PUBACK/PUBREC of a received PUBLISH, PUBREL after PUBREC,
    /// PUBCOMP after PUBREL. With persistence they are held until the end of the current read batch, when one journal
    /// flush covers every packet in it (group commit).
    /// </summary>
    public void AckPublish(MqttPacketType type, ushort packetId, MqttReasonCode code)
    {
        if (_broker.DefersPublishAcks)
        {
            (_deferredAcks ??= []).Add((type, packetId, code));
            return;
        }
        SendAck(type, packetId, code);
    }

    private void SendDeferredAcks()
    {
        if (_deferredAcks is not { Count: > 0 } acks)
        {
            return;
        }
        _broker.FlushJournal();
        foreach (var (type, id, code) in acks)
        {
            SendAck(type, id, code);
        }
        acks.Clear();
    }

    public void Send(MqttPacket packet)
    {
        Interlocked.Increment(ref _queued);
        _outbound.TryWrite(new Outbound { Kind = OutKind.Packet, Packet = packet });
    }

    /// <summary>Sends DISCONNECT with <paramref name="code"/> (v5 only, after CONNECT) and closes once it is written.</summary>
    public void Disconnect(MqttReasonCode code, string? reason = null)
    {
        if (Session != null && Version == MqttProtocolVersion.V500 && Volatile.Read(ref _closing) == 0)
        {
            Send(new MqttDisconnectPacket { ReasonCode = code, ReasonString = reason });
        }
        _closeAfterFlush = true;
        _outbound.TryComplete();
    }

    /// <summary>Closes the socket now.</summary>
    public void Abort()
    {
        if (Interlocked.Exchange(ref _closing, 1) != 0)
        {
            return;
        }
        _outbound.TryComplete();
        // Disposing the stream (below) ends a pending read with an exception: no cancellation token per read.
        try
        {
            _stream.Dispose();
        }
        catch (IOException)
        {
        }
    }

    public void Dispose()
    {
        _decoder.Dispose();
        _encoder.Dispose();
    }

    public async Task RunAsync()
    {
        var writer = WriteLoopAsync();
        try
        {
            // The read loop, inline: one async state machine per connection rather than two (10,000 connections per edge).
            while (true)
            {
                if (_input.IsEmpty)
                {
                    // Quiet: hold no buffer while waiting for the next bytes.
                    _input.Release();
                    await _stream.ReadAsync(Memory<byte>.Empty).ConfigureAwait(false);
                }
                var read = await _stream.ReadAsync(_input.ReadTarget()).ConfigureAwait(false);
                if (read == 0)
                {
                    return;
                }
                _input.Advance(read);
                var buffer = _input.Data;
                var consumed = buffer.Start;
                try
                {
                    if (!ProcessBuffer(buffer, out consumed))
                    {
                        return;
                    }
                }
                catch (MqttProtocolException ex)
                {
                    _logger.LogInformation("closing {Remote} ({ClientId}): {Message}", Remote, ClientId, ex.Message);
                    OnProtocolError(ex);
                    return;
                }
                finally
                {
                    _input.Consume(buffer.Slice(buffer.Start, consumed).Length);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or System.Net.Sockets.SocketException)
        {
            _logger.LogDebug("connection {Remote} ({ClientId}) ended: {Message}", Remote, ClientId, ex.Message);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "connection {Remote} ({ClientId}) failed", Remote, ClientId);
        }
        finally
        {
            _outbound.TryComplete();
            // Let queued packets (CONNACK with a failure code, DISCONNECT) reach the peer, but not forever.
            await Task.WhenAny(writer, Task.Delay(2000)).ConfigureAwait(false);
            Abort();
            _input.Release();
            _broker.OnConnectionClosed(this);
            // The write loop may still be inside an encode when the socket is aborted: the encoder's pooled buffer goes back
            // only once the loop has ended. Returning it earlier let the loop return or write the same array after another
            // renter had it (a shared-pool array handed out twice: one client saw another message's payload in its own).
            // A write loop that does not end within the bound keeps its buffers; the GC collects them instead.
            if (await Task.WhenAny(writer, Task.Delay(5000)).ConfigureAwait(false) == writer)
            {
                Dispose();
            }
            else
            {
                _logger.LogWarning("write loop of {Remote} ({ClientId}) did not end after the socket closed; its buffers are left to the GC", Remote, ClientId);
            }
            _broker.OnConnectionEnded();
        }
    }

    private bool ProcessBuffer(ReadOnlySequence<byte> buffer, out SequencePosition consumed)
    {
        var reader = new SequenceReader<byte>(buffer);
        consumed = buffer.Start;
        try
        {
            while (_decoder.TryRead(ref reader, out var packet))
            {
                consumed = reader.Position;
                LastActivity = Environment.TickCount64;
                if (!Handle(packet!))
                {
                    return false;
                }
            }
            return !_closeAfterFlush;
        }
        finally
        {
            SendDeferredAcks();
        }
    }

    private void OnProtocolError(MqttProtocolException ex)
    {
        if (Session is null)
        {
            // Before CONNACK: a refused CONNECT gets a CONNACK with the code [MQTT-3.1.4-6 / 3.2.2.2].
            if (ex.ReasonCode == MqttReasonCode.UnsupportedProtocolVersion)
            {
                // 3.1.1 return code 1; a v5 client sending an unknown level also understands it [MQTT-3.1.2-2].
                Version = MqttProtocolVersion.V311;
                _encoder.Version = Version;
                Send(new MqttConnAckPacket { ReasonCode = MqttReasonCode.UnsupportedProtocolVersion });
            }
            _outbound.TryComplete();
            return;
        }
        Disconnect(ex.ReasonCode, ex.Message);
    }
}
