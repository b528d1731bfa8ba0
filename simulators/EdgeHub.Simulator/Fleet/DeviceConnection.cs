using EdgeHub.Contracts;
using EdgeHub.Mqtt;
using Microsoft.Extensions.Logging;

namespace EdgeHub.Simulator;

/// <summary>
/// One MQTT connection carrying one device (the default, like real monitors) or several (multiplexed, for fleets larger
/// than the machine's sockets allow). Receives the devices' feedback and turns it into latency samples.
/// </summary>
internal sealed class DeviceConnection : IAsyncDisposable
{
    private readonly FleetStats _stats;
    private readonly ILogger _logger;
    private readonly Dictionary<string, VirtualDevice>.AlternateLookup<ReadOnlySpan<char>> _byId;
    private readonly bool _subscribe;
    private volatile bool _up;
    private int _everUp;

    public DeviceConnection(MqttClientOptions options, VirtualDevice[] devices, FleetStats stats, bool subscribeFeedback, ILogger logger)
    {
        Devices = devices;
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
        Client = new MqttClient(options, logger);
        Client.MessageReceived = OnMessageAsync;
        Client.Connected += _ =>
        {
            if (Interlocked.Exchange(ref _everUp, 1) == 1)
            {
                Interlocked.Increment(ref _stats._reconnects);
            }

            if (!_up)
            {
                _up = true;
                Interlocked.Increment(ref _stats._connected);
            }
        };
        Client.Disconnected += (_, _) => MarkDown();
    }

    public MqttClient Client { get; }
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
                await Client.ConnectAsync(ct).ConfigureAwait(false);
                if (_subscribe)
                {
                    var subscriptions = new List<MqttSubscription>(Devices.Length);
                    foreach (var d in Devices)
                    {
                        subscriptions.Add(new MqttSubscription(d.FeedbackTopic, MqttQos.AtMostOnce));
                    }

                    await Client.SubscribeAsync(subscriptions, ct).ConfigureAwait(false);
                }

                if (!_up)
                {
                    // The Connected event may not have fired for a first connect; count it once either way.
                    _up = true;
                    Interlocked.Increment(ref _stats._connected);
                    Interlocked.Exchange(ref _everUp, 1);
                }

                return true;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception ex) when (ex is MqttException or IOException or InvalidOperationException or TimeoutException)
            {
                Interlocked.Increment(ref _stats._connectFailures);
                Log.ConnectFailed(_logger, Client.ClientId, attempt, ex.Message);
                if (attempt < attempts)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), ct).ConfigureAwait(false);
                }
            }
        }

        return false;
    }

    /// <summary>Drops the connection (storm): devices queue their frames until <see cref="ConnectAsync"/> succeeds again.</summary>
    public async Task DropAsync(CancellationToken ct)
    {
        Stormed = true;
        MarkDown();
        try
        {
            await Client.DisconnectAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is MqttException or IOException or TimeoutException or InvalidOperationException)
        {
            Log.CloseFailed(_logger, Client.ClientId, ex.Message);
        }
    }

    private void MarkDown()
    {
        if (_up)
        {
            _up = false;
            Interlocked.Decrement(ref _stats._connected);
            Interlocked.Increment(ref _stats._disconnects);
        }
    }

    private ValueTask OnMessageAsync(MqttApplicationMessage message, CancellationToken ct)
    {
        var now = System.Diagnostics.Stopwatch.GetTimestamp();
        Interlocked.Increment(ref _stats._feedback);
        if (!TryFindDevice(message.Topic, out var device) || !FeedbackReader.TryRead(message.Payload.Span, out var seq, out var isError))
        {
            Interlocked.Increment(ref _stats._feedbackUnmatched);
            return ValueTask.CompletedTask;
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

        return ValueTask.CompletedTask;
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

    public ValueTask DisposeAsync() => Client.DisposeAsync();
}
