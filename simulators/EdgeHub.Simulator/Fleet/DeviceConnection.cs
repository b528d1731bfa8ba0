using EdgeHub.Contracts;
using EdgeHub.Mqtt;
using Microsoft.Extensions.Logging;
using MQTTnet;

namespace EdgeHub.Simulator;

/// <summary>
/// One MQTT connection carrying one device (the default, like real monitors) or several (multiplexed, for fleets larger
/// than the machine's sockets allow). It uses MQTTnet's client, what a .NET device developer would use, so every demo and
/// bench puts a third-party client in front of our broker. MQTTnet 5 has no managed (auto-reconnecting) client: this class
/// reconnects itself, with a growing delay, unless a storm holds the connection down. Feedback turns into latency samples.
/// </summary>
internal sealed class DeviceConnection : IAsyncDisposable
{
    private static readonly TimeSpan MaxReconnectDelay = TimeSpan.FromSeconds(5);
    private readonly FleetStats _stats;
    private readonly ILogger _logger;
    private readonly Dictionary<string, VirtualDevice>.AlternateLookup<ReadOnlySpan<char>> _byId;
    private readonly bool _subscribe;
    private readonly MQTTnet.MqttClientOptions _options;
    private readonly CancellationTokenSource _disposed = new();
    private readonly SemaphoreSlim _connectGate = new(1, 1);
    private volatile bool _up;
    private int _everUp;
    private int _reconnecting;

    public DeviceConnection(DeviceEndpoint endpoint, string clientId, VirtualDevice[] devices, FleetStats stats, bool subscribeFeedback, ILogger logger)
    {
        Devices = devices;
        ClientId = clientId;
        _stats = stats;
        _logger = logger;
        _subscribe = subscribeFeedback;
        var byId = new Dictionary<string, VirtualDevice>(devices.Length, StringComparer.Ordinal);
        foreach (var d in devices)
        {
            byId[d.DeviceId] = d;
            d.Connection = this;
        }

        _byId = byId.GetAlternateLookup<ReadOnlySpan<char>>();
        _options = endpoint.ClientOptions(clientId, devices[0].DeviceId);
        Client = new MqttClientFactory().CreateMqttClient();
        Client.ApplicationMessageReceivedAsync += OnMessageAsync;
        Client.DisconnectedAsync += OnDisconnectedAsync;
    }

    public IMqttClient Client { get; }
    public string ClientId { get; }
    public VirtualDevice[] Devices { get; }
    /// <summary>True while the connection is up and the devices may publish.</summary>
    public bool IsUp => _up && Client.IsConnected;
    /// <summary>Set while a storm holds this connection down (no automatic reconnect meanwhile).</summary>
    public bool Stormed { get; set; }

    /// <summary>Connects (with a few retries) and subscribes to the devices' feedback.</summary>
    public async Task<bool> ConnectAsync(int attempts, CancellationToken ct)
    {
        for (var attempt = 1; attempt <= attempts; attempt++)
        {
            try
            {
                await ConnectOnceAsync(ct).ConfigureAwait(false);
                return true;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception ex) when (IsConnectionFault(ex))
            {
                Interlocked.Increment(ref _stats._connectFailures);
                Log.ConnectFailed(_logger, ClientId, attempt, ex.Message);
                if (attempt < attempts)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), ct).ConfigureAwait(false);
                }
            }
        }

        return false;
    }

    private async Task ConnectOnceAsync(CancellationToken ct)
    {
        await _connectGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (Client.IsConnected)
            {
                return;
            }

            var result = await Client.ConnectAsync(_options, ct).ConfigureAwait(false);
            if (result.ResultCode != MqttClientConnectResultCode.Success)
            {
                throw new IOException($"broker refused {ClientId}: {result.ResultCode} {result.ReasonString}");
            }

            if (_subscribe)
            {
                var subscribe = new MqttClientSubscribeOptionsBuilder();
                foreach (var d in Devices)
                {
                    subscribe.WithTopicFilter(d.FeedbackTopic, MQTTnet.Protocol.MqttQualityOfServiceLevel.AtMostOnce);
                }

                await Client.SubscribeAsync(subscribe.Build(), ct).ConfigureAwait(false);
            }

            if (Interlocked.Exchange(ref _everUp, 1) == 1)
            {
                Interlocked.Increment(ref _stats._reconnects);
            }

            if (!_up)
            {
                _up = true;
                Interlocked.Increment(ref _stats._connected);
            }
        }
        finally
        {
            _connectGate.Release();
        }
    }

    /// <summary>
    /// Publishes one frame. QoS 0 completes once MQTTnet has written the packet, QoS 1 once the broker acknowledged it;
    /// the caller keeps <paramref name="payload"/> alive until then. Faults surface as <see cref="IOException"/>.
    /// </summary>
    public ValueTask PublishAsync(string topic, ReadOnlyMemory<byte> payload, MqttQos qos)
    {
        if (!IsUp)
        {
            throw new InvalidOperationException($"{ClientId} is not connected");
        }

        var message = new MQTTnet.MqttApplicationMessage
        {
            Topic = topic,
            Payload = new System.Buffers.ReadOnlySequence<byte>(payload),
            QualityOfServiceLevel = (MQTTnet.Protocol.MqttQualityOfServiceLevel)(int)qos,
        };
        var pending = Client.PublishAsync(message, CancellationToken.None);
        return pending.IsCompletedSuccessfully ? ValueTask.CompletedTask : AwaitPublishAsync(pending);
    }

    private async ValueTask AwaitPublishAsync(Task<MqttClientPublishResult> pending)
    {
        try
        {
            await pending.ConfigureAwait(false);
        }
        catch (Exception ex) when (IsConnectionFault(ex))
        {
            throw new IOException($"{ClientId}: publish failed: {ex.Message}", ex);
        }
    }

    /// <summary>Drops the connection (storm): devices queue their frames until <see cref="ConnectAsync"/> succeeds again.</summary>
    public async Task DropAsync(CancellationToken ct)
    {
        Stormed = true;
        MarkDown();
        try
        {
            await Client.DisconnectAsync(new MqttClientDisconnectOptions(), ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsConnectionFault(ex))
        {
            Log.CloseFailed(_logger, ClientId, ex.Message);
        }
    }

    private Task OnDisconnectedAsync(MqttClientDisconnectedEventArgs e)
    {
        MarkDown();
        if (!Stormed && !_disposed.IsCancellationRequested && e.ClientWasConnected && Interlocked.Exchange(ref _reconnecting, 1) == 0)
        {
            _ = ReconnectLoopAsync();
        }

        return Task.CompletedTask;
    }

    /// <summary>The broker went away (not a storm): retry with a growing delay until connected, stormed or disposed.</summary>
    private async Task ReconnectLoopAsync()
    {
        var delay = TimeSpan.FromMilliseconds(100);
        try
        {
            while (!Stormed && !_disposed.IsCancellationRequested && !Client.IsConnected)
            {
                await Task.Delay(delay, _disposed.Token).ConfigureAwait(false);
                try
                {
                    await ConnectOnceAsync(_disposed.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (IsConnectionFault(ex) && !_disposed.IsCancellationRequested)
                {
                    Interlocked.Increment(ref _stats._connectFailures);
                    Log.ConnectFailed(_logger, ClientId, 0, ex.Message);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxReconnectDelay.Ticks));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            Volatile.Write(ref _reconnecting, 0);
        }
    }

    /// <summary>What a lost or refused connection throws, from MQTTnet or the socket beneath it.</summary>
    internal static bool IsConnectionFault(Exception ex) => ex is MQTTnet.Exceptions.MqttCommunicationException or IOException
        or InvalidOperationException or TimeoutException or ObjectDisposedException or OperationCanceledException or MqttException
        or System.Net.Sockets.SocketException;

    private void MarkDown()
    {
        if (_up)
        {
            _up = false;
            Interlocked.Decrement(ref _stats._connected);
            Interlocked.Increment(ref _stats._disconnects);
        }
    }

    private Task OnMessageAsync(MqttApplicationMessageReceivedEventArgs e)
    {
        var now = System.Diagnostics.Stopwatch.GetTimestamp();
        Interlocked.Increment(ref _stats._feedback);
        var message = e.ApplicationMessage;
        var payload = message.Payload;
        var ok = payload.IsSingleSegment
            ? FeedbackReader.TryRead(payload.FirstSpan, out var seq, out var isError)
            : FeedbackReader.TryRead(System.Buffers.BuffersExtensions.ToArray(payload), out seq, out isError);
        if (!TryFindDevice(message.Topic, out var device) || !ok)
        {
            Interlocked.Increment(ref _stats._feedbackUnmatched);
            return Task.CompletedTask;
        }

        if (isError)
        {
            Interlocked.Increment(ref _stats._feedbackErrors);
        }

        if (device.TryTakeSent(seq, out var sent))
        {
            _stats.Latency.Record((long)((now - sent) * 1_000_000.0 / System.Diagnostics.Stopwatch.Frequency));
        }
        else
        {
            Interlocked.Increment(ref _stats._feedbackUnmatched);
        }

        return Task.CompletedTask;
    }

    private bool TryFindDevice(string topic, out VirtualDevice device)
    {
        if (Devices.Length == 1)
        {
            device = Devices[0];
            return true;
        }

        // ehub/v1/devices/{id}/feedback: look the id up as a span, no substring.
        const string prefix = Topics.Root + "/devices/";
        var span = topic.AsSpan();
        if (span.StartsWith(prefix, StringComparison.Ordinal))
        {
            span = span[prefix.Length..];
            var slash = span.IndexOf('/');
            if (slash > 0 && _byId.TryGetValue(span[..slash], out device!))
            {
                return true;
            }
        }

        device = null!;
        return false;
    }

    public async ValueTask DisposeAsync()
    {
        await _disposed.CancelAsync().ConfigureAwait(false);
        try
        {
            if (Client.IsConnected)
            {
                await Client.DisconnectAsync(new MqttClientDisconnectOptions(), CancellationToken.None).ConfigureAwait(false);
            }
        }
        finally
        {
            MarkDown();
            Client.Dispose();
            _connectGate.Dispose();
            _disposed.Dispose();
        }
    }
}
