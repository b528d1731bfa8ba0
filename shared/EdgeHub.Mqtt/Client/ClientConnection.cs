using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Channels;
using EdgeHub.Mqtt.Formatter;
using EdgeHub.Mqtt.Packets;
using Microsoft.Extensions.Logging;

namespace EdgeHub.Mqtt.Client;

/// <summary>
/// One network connection of a client: pipe read loop (packets handed to the client synchronously; it stops reading
/// the socket while the client's <see cref="IncomingFlowControl"/> is full), write loop draining an outbound channel
/// with one flush per burst, and keep-alive pings.
/// </summary>
internal sealed class ClientConnection : IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly Channel<ClientOutbound> _outbound = Channel.CreateUnbounded<ClientOutbound>(new UnboundedChannelOptions { SingleReader = true });
    private readonly MqttPacketEncoder _encoder;
    private readonly MqttPacketDecoder _decoder;
    private readonly CancellationTokenSource _cts = new();
    private readonly ILogger _logger;
    private readonly TaskCompletionSource<Exception?> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _lastSent;
    private long _lastReceived;
    private int _closed;
    private bool _started;
    private volatile bool _paused;
    private Dictionary<ushort, string>? _inboundAliases;

    public ClientConnection(Stream stream, MqttProtocolVersion version, ILogger logger)
    {
        _stream = stream;
        _logger = logger;
        _encoder = new MqttPacketEncoder(version);
        _decoder = new MqttPacketDecoder(version);
        _input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 16384, minimumReadSize: 4096, useZeroByteReads: true));
        _output = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 8192));
        _lastSent = _lastReceived = Environment.TickCount64;
    }

    /// <summary>Completes when the connection is gone, with the error that ended it (null for a normal close).</summary>
    public Task<Exception?> Completion => _completion.Task;
    public bool IsClosed => Volatile.Read(ref _closed) != 0;
    public uint PeerMaximumPacketSize { get; set; }

    /// <summary>
    /// Resolves an inbound topic alias (§3.3.2.3.4): a topic with an alias sets it for this connection, an empty topic
    /// uses it. An alias above what we offered (the broker must stay within it) or one never set closes the connection.
    /// </summary>
    public string ResolveTopic(MqttPublishPacket publish, ushort maximum)
    {
        if (publish.TopicAlias == 0)
        {
            return publish.Topic;
        }
        if (publish.TopicAlias > maximum)
        {
            throw new MqttProtocolException($"broker used topic alias {publish.TopicAlias}, above the maximum {maximum} we offered", Protocol.MqttReasonCode.TopicAliasInvalid);
        }
        _inboundAliases ??= [];
        if (publish.Topic.Length > 0)
        {
            _inboundAliases[publish.TopicAlias] = publish.Topic;
            return publish.Topic;
        }
        return _inboundAliases.TryGetValue(publish.TopicAlias, out var topic)
            ? topic
            : throw new MqttProtocolException($"broker used topic alias {publish.TopicAlias} before setting it on this connection", Protocol.MqttReasonCode.ProtocolError);
    }

    public bool Enqueue(in ClientOutbound item) => _outbound.Writer.TryWrite(item);

    public bool Enqueue(MqttPacket packet) => _outbound.Writer.TryWrite(new ClientOutbound(packet, null));

    /// <summary>Writes CONNECT (or an AUTH of the CONNECT exchange) and reads the answer: CONNACK, AUTH or DISCONNECT.</summary>
    public async Task<MqttPacket> HandshakeAsync(MqttPacket connect, CancellationToken ct)
    {
        _encoder.Write(connect, _output);
        await _output.FlushAsync(ct).ConfigureAwait(false);
        while (true)
        {
            var result = await _input.ReadAsync(ct).ConfigureAwait(false);
            var buffer = result.Buffer;
            var consumed = buffer.Start;
            MqttPacket? packet = null;
            try
            {
                var reader = new SequenceReader<byte>(buffer);
                if (_decoder.TryRead(ref reader, out packet))
                {
                    consumed = reader.Position;
                }
            }
            finally
            {
                // Once CONNACK is read, bytes after it (PUBLISHes of a resumed session, sent right behind the CONNACK) are
                // not examined yet: marking them examined would park them until the next bytes arrive (the keep-alive ping).
                _input.AdvanceTo(consumed, packet != null ? consumed : buffer.End);
            }
            if (packet != null)
            {
                return packet;
            }
            if (result.IsCompleted)
            {
                throw new MqttConnectException("the broker closed the connection before sending CONNACK (wrong port, TLS mismatch or refused)");
            }
        }
    }

    /// <summary>Starts the read, write and keep-alive loops.</summary>
    public void Start(Func<ClientConnection, MqttPacket, bool> onPacket, ushort keepAliveSeconds, IncomingFlowControl flow)
    {
        _started = true;
        var read = ReadLoopAsync(onPacket, flow);
        var write = WriteLoopAsync();
        _ = RunAsync(read, write, keepAliveSeconds);
    }

    private async Task RunAsync(Task read, Task write, ushort keepAlive)
    {
        var ping = keepAlive > 0 ? KeepAliveLoopAsync(keepAlive) : Task.CompletedTask;
        Exception? error = null;
        try
        {
            await Task.WhenAny(read, write).ConfigureAwait(false);
            error = read.IsFaulted ? read.Exception!.InnerException : write.IsFaulted ? write.Exception!.InnerException : null;
        }
        finally
        {
            Close();
            try
            {
                await Task.WhenAll(read.ContinueWith(_ => { }, TaskScheduler.Default), write.ContinueWith(_ => { }, TaskScheduler.Default), ping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
            _completion.TrySetResult(error);
        }
    }

    private async Task ReadLoopAsync(Func<ClientConnection, MqttPacket, bool> onPacket, IncomingFlowControl flow)
    {
        try
        {
            while (true)
            {
                var result = await _input.ReadAsync(_cts.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                var consumed = buffer.Start;
                var keepGoing = true;
                var full = false;
                try
                {
                    var reader = new SequenceReader<byte>(buffer);
                    while (keepGoing && !(full = flow.IsFull) && _decoder.TryRead(ref reader, out var packet))
                    {
                        consumed = reader.Position;
                        _lastReceived = Environment.TickCount64;
                        keepGoing = onPacket(this, packet!);
                    }
                }
                finally
                {
                    // Full: the rest of the buffer stays unexamined, so the next read returns it without touching the socket.
                    _input.AdvanceTo(consumed, full ? consumed : buffer.End);
                }
                if (full && keepGoing)
                {
                    // Back-pressure: no socket reads until the handler catches up; the broker's sends block in TCP.
                    _paused = true;
                    try
                    {
                        await flow.WaitForRoomAsync(_cts.Token).ConfigureAwait(false);
                    }
                    finally
                    {
                        _lastReceived = Environment.TickCount64;
                        _paused = false;
                    }
                    continue;
                }
                if (!keepGoing || result.IsCompleted || result.IsCanceled)
                {
                    if (result.IsCompleted && keepGoing)
                    {
                        throw new IOException("the broker closed the connection");
                    }
                    return;
                }
            }
        }
        finally
        {
            await _input.CompleteAsync().ConfigureAwait(false);
        }
    }

    private async Task WriteLoopAsync()
    {
        var reader = _outbound.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_cts.Token).ConfigureAwait(false))
            {
                while (reader.TryRead(out var item))
                {
                    Write(item);
                    if (_output.UnflushedBytes > 65536)
                    {
                        await _output.FlushAsync(_cts.Token).ConfigureAwait(false);
                    }
                }
                await _output.FlushAsync(_cts.Token).ConfigureAwait(false);
                _lastSent = Environment.TickCount64;
            }
        }
        finally
        {
            await _output.CompleteAsync().ConfigureAwait(false);
        }
    }

    private void Write(in ClientOutbound item)
    {
        if (item.Operation is { } op && op.IsFinished)
        {
            return; // cancelled or completed while queued
        }
        if (PeerMaximumPacketSize != 0 && item.Packet is MqttPublishPacket && _encoder.Measure(item.Packet) > PeerMaximumPacketSize)
        {
            item.Operation?.Fail(new MqttPublishException(
                $"message on '{((MqttPublishPacket)item.Packet).Topic}' is larger than the broker's maximum packet size {PeerMaximumPacketSize}",
                Protocol.MqttReasonCode.PacketTooLarge));
            item.Operation?.ReleaseIfQos0();
            return;
        }
        _encoder.Write(item.Packet, _output);
        item.Operation?.OnWritten();
    }

    private async Task KeepAliveLoopAsync(ushort keepAlive)
    {
        var periodMs = keepAlive * 1000L;
        try
        {
            while (!_cts.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(100, periodMs / 4)), _cts.Token).ConfigureAwait(false);
                var now = Environment.TickCount64;
                // While reading is paused for back-pressure, silence from the broker is ours, not a dead connection.
                if (!_paused && now - _lastReceived > periodMs * 3 / 2 + 1000)
                {
                    _logger.LogWarning("no packet from the broker for {Seconds}s (keep alive {KeepAlive}s): reconnecting", (now - _lastReceived) / 1000, keepAlive);
                    Close();
                    return;
                }
                if (now - _lastSent >= periodMs / 2)
                {
                    // [MQTT-3.1.2-20]: a PINGREQ keeps the connection alive when nothing else was sent.
                    _lastSent = now;
                    Enqueue(MqttPingReqPacket.Instance);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Stops writing after what is queued, then closes.</summary>
    public async Task CloseGracefullyAsync(MqttPacket? last, TimeSpan timeout)
    {
        if (last != null)
        {
            Enqueue(last);
        }
        _outbound.Writer.TryComplete();
        await Task.WhenAny(Completion, Task.Delay(timeout)).ConfigureAwait(false);
        Close();
    }

    public void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }
        _outbound.Writer.TryComplete();
        try
        {
            _cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
        _input.CancelPendingRead();
        try
        {
            _stream.Dispose();
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Items still queued when the connection died (QoS 0 ones must release their slots).</summary>
    public IEnumerable<ClientOutbound> DrainUnsent()
    {
        while (_outbound.Reader.TryRead(out var item))
        {
            yield return item;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Close();
        if (_started)
        {
            await Completion.ConfigureAwait(false);
        }
        else
        {
            await _input.CompleteAsync().ConfigureAwait(false);
            await _output.CompleteAsync().ConfigureAwait(false);
        }
        _encoder.Dispose();
        _decoder.Dispose();
        _cts.Dispose();
    }
}

/// <summary>A packet waiting to be written, with the operation it belongs to (if any).</summary>
internal readonly record struct ClientOutbound(MqttPacket Packet, PendingOperation? Operation);
