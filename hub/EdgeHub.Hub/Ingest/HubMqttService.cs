using System.Text.Json;
using System.Threading.Channels;
using EdgeHub.Contracts;
using EdgeHub.Hub.Hosting;
using EdgeHub.Hub.Options;
using EdgeHub.Mqtt;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeHub.Hub.Ingest;

/// <summary>
/// The node's MQTT side: runs the embedded broker (default) or connects to an external one, takes deltas through the
/// shared subscription (each delta reaches one node of the group), answers on the edge's ack topic, stores edge status,
/// and publishes retained model assignments. Acks go through a queue drained by a separate loop, so the receive callback
/// never waits on the broker it is being called from.
/// </summary>
public sealed class HubMqttService(
    HubOptions options,
    DeltaIngestor ingestor,
    EdgeStatusHandler statusHandler,
    HubReadiness readiness,
    ILoggerFactory loggerFactory) : BackgroundService
{
    /// <summary>Shared subscription of the hub nodes to every edge status (one node stores each).</summary>
    public const string StatusShared = "$share/hub/" + Topics.AllStatus;

    private readonly ILogger _logger = loggerFactory.CreateLogger<HubMqttService>();
    private readonly Channel<MqttApplicationMessage> _outbox = Channel.CreateBounded<MqttApplicationMessage>(
        new BoundedChannelOptions(100_000) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private MqttBroker? _broker;
    private MqttClient? _client;

    /// <summary>Port of the embedded broker once started (-1 when external).</summary>
    public int EmbeddedBrokerPort => _broker?.Port ?? -1;

    /// <summary>True while connected.</summary>
    public bool IsConnected => _client?.IsConnected ?? false;

    /// <summary>Completes once the node is connected and subscribed.</summary>
    public Task Connected => _connected.Task;

    /// <summary>Queues a message for publication (acks, assignments); returns once queued.</summary>
    public ValueTask EnqueueAsync(MqttApplicationMessage message, CancellationToken ct) => _outbox.Writer.WriteAsync(message, ct);

    /// <summary>Publishes a retained JSON message and waits for the broker's acknowledgement.</summary>
    public async Task PublishRetainedAsync(string topic, byte[] json, CancellationToken ct)
    {
        await Connected.WaitAsync(ct).ConfigureAwait(false);
        await _client!.PublishAsync(new MqttApplicationMessage
        {
            Topic = topic, Payload = json, Qos = MqttQos.AtLeastOnce, Retain = true, ContentType = ContentTypes.Json,
        }, ct).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var host = options.Broker.Host;
        var port = options.Broker.Port;
        if (options.Broker.Mode == "embedded")
        {
            _broker = new MqttBroker(options.Broker.ToEmbeddedBrokerOptions(Math.Max(16 << 20, options.MaxDeltaBytes + (64 << 10))), loggerFactory);
            await _broker.StartAsync(stoppingToken).ConfigureAwait(false);
            host = "127.0.0.1";
            port = _broker.Port >= 0 ? _broker.Port : _broker.TlsPort;
            _logger.LogInformation("embedded MQTT broker listening on port {Port}", port);
        }

        _client = new MqttClient(new MqttClientOptions
        {
            Host = host,
            Port = port,
            ClientId = "hub-" + options.NodeId,
            CleanStart = true,
            AutoReconnect = true,
            Username = options.Broker.Username,
            Password = options.Broker.Password,
            MaxReconnectDelay = TimeSpan.FromSeconds(5),
            Tls = options.Broker.ClientTls(host),
        }, loggerFactory.CreateLogger<MqttClient>());
        _client.MessageReceived = OnMessageAsync;
        _client.Connected += _ => readiness.MqttConnected = true;
        _client.Disconnected += (_, ex) =>
        {
            readiness.MqttConnected = false;
            if (ex is not null)
            {
                _logger.LogWarning("MQTT connection to {Host}:{Port} lost: {Message}; reconnecting", host, port, ex.Message);
            }
        };

        await ConnectWithRetryAsync(host, port, stoppingToken).ConfigureAwait(false);
        await _client.SubscribeAsync([new MqttSubscription(Topics.DeltasShared), new MqttSubscription(StatusShared)], stoppingToken).ConfigureAwait(false);
        readiness.MqttConnected = true;
        _connected.TrySetResult();
        _logger.LogInformation("node {Node} takes deltas from {Host}:{Port} ({Filter})", options.NodeId, host, port, Topics.DeltasShared);
        try
        {
            await DrainOutboxAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Normal shutdown.
        }
    }

    /// <inheritdoc />
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (_client is not null)
        {
            await _client.DisposeAsync().ConfigureAwait(false);
        }

        if (_broker is not null)
        {
            await _broker.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task ConnectWithRetryAsync(string host, int port, CancellationToken ct)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            try
            {
                await _client!.ConnectAsync(ct).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ex is MqttException or IOException or System.Net.Sockets.SocketException or TimeoutException)
            {
                _logger.LogWarning("cannot reach MQTT broker {Host}:{Port}: {Message}; retrying in {Delay}", host, port, ex.Message, delay);
                await Task.Delay(delay, ct).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    private async Task DrainOutboxAsync(CancellationToken ct)
    {
        await foreach (var message in _outbox.Reader.ReadAllAsync(ct).ConfigureAwait(false))
        {
            while (true)
            {
                try
                {
                    await _client!.PublishAsync(message, ct).ConfigureAwait(false);
                    break;
                }
                catch (Exception ex) when (ex is MqttException or IOException or InvalidOperationException)
                {
                    // The client reconnects by itself; an ack that cannot go out is not lost for good (the edge resends).
                    _logger.LogDebug("publish on {Topic} failed ({Message}); retrying", message.Topic, ex.Message);
                    await Task.Delay(200, ct).ConfigureAwait(false);
                }
            }
        }
    }

    private async ValueTask OnMessageAsync(MqttApplicationMessage m, CancellationToken ct)
    {
        try
        {
            if (Topics.TryGetId(m.Topic, "hub", 3, out var edgeId) && Topics.TryGetId(m.Topic, "hub", 2, out var region))
            {
                await OnDeltaAsync(m, region, edgeId, ct).ConfigureAwait(false);
            }
            else if (Topics.TryGetId(m.Topic, "edges", 1, out _))
            {
                await statusHandler.HandleAsync(m.Topic, m.Payload, ct).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A fault here (catalog down, disk full) must not kill the subscription; the edge resends unacknowledged deltas.
            _logger.LogError(ex, "handling a message on {Topic} failed", m.Topic);
        }
    }

    private async ValueTask OnDeltaAsync(MqttApplicationMessage m, string region, string edgeId, CancellationToken ct)
    {
        string? deltaId = null, sequence = null, rows = null, sha = null, schema = null;
        if (m.UserProperties is { } props)
        {
            for (var i = 0; i < props.Count; i++)
            {
                var (key, value) = props[i];
                switch (key)
                {
                    case DeltaProperties.DeltaId: deltaId = value; break;
                    case DeltaProperties.Sequence: sequence = value; break;
                    case DeltaProperties.Rows: rows = value; break;
                    case DeltaProperties.Sha256: sha = value; break;
                    case DeltaProperties.SchemaId: schema = value; break;
                }
            }
        }

        var ack = await ingestor.IngestAsync(new DeltaSubmission("mqtt", region, edgeId, deltaId, sequence, rows, sha, schema, m.Payload), ct)
            .ConfigureAwait(false);
        if (Ids.IsValid(edgeId))
        {
            await EnqueueAsync(new MqttApplicationMessage
            {
                Topic = Topics.Acks(edgeId),
                Payload = JsonSerializer.SerializeToUtf8Bytes(ack, ContractsJson.Default.DeltaAck),
                Qos = MqttQos.AtLeastOnce,
                ContentType = ContentTypes.Json,
            }, ct).ConfigureAwait(false);
        }
    }
}
