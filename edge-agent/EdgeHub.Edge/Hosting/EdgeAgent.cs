using System.Net;
using System.Text.Json;
using EdgeHub.Contracts;
using EdgeHub.Edge.Alerts;
using EdgeHub.Edge.Inference;
using EdgeHub.Edge.Ingest;
using EdgeHub.Edge.Models;
using EdgeHub.Edge.Status;
using EdgeHub.Edge.Store;
using EdgeHub.Mqtt;
using Microsoft.Extensions.Logging;

namespace EdgeHub.Edge.Hosting;

/// <summary>
/// One edge agent: the composition of broker connections, ingest, inference, alerts, store, delta upload, models and
/// status. Hosted by <see cref="EdgeHost"/> (ASP.NET Core) or used directly by tests and benchmarks.
/// </summary>
public sealed partial class EdgeAgent : IAsyncDisposable
{
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly HttpClient _http;
    private readonly CancellationTokenSource _stop = new();
    private MqttBroker? _broker;
    private MqttClient? _deviceClient;
    private IDisposable? _localTelemetry;
    private IDisposable? _localLabels;
    private MqttClient? _hubClient;
    private EdgeStore? _store;
    private StoreWriter? _writer;
    private InferenceEngine? _engine;
    private DeltaUploader? _uploader;
    private TelemetryIngest? _ingest;
    private LabelIngest? _labels;
    private Task? _statusLoop;
    private Task? _hubConnect;
    private bool _started;

    /// <summary>Creates an agent (nothing runs until <see cref="StartAsync"/>).</summary>
    public EdgeAgent(EdgeOptions options, ILoggerFactory loggers)
    {
        Options = options ?? throw new ArgumentNullException(nameof(options));
        _loggers = loggers ?? throw new ArgumentNullException(nameof(loggers));
        _logger = loggers.CreateLogger("EdgeHub.Edge");
        _http = ModelFetchClient.Create(options);
    }

    /// <summary>Settings in use.</summary>
    public EdgeOptions Options { get; }

    /// <summary>Counters and latency.</summary>
    public EdgeMetrics Metrics { get; } = new();

    /// <summary>Recent and active alerts.</summary>
    public AlertFeed Alerts { get; } = new();

    /// <summary>Feature drift against the serving model's reference.</summary>
    public DriftMonitor Drift { get; } = new();

    /// <summary>Devices tracked.</summary>
    public DeviceRegistry Devices { get; private set; } = null!;

    /// <summary>Models (serving, shadow, previous).</summary>
    public ModelManager Models { get; private set; } = null!;

    /// <summary>The local store.</summary>
    public EdgeStore Store => _store ?? throw new InvalidOperationException("the agent is not started");

    /// <summary>The store writer (labels and alerts are joined through it).</summary>
    public StoreWriter Writer => _writer ?? throw new InvalidOperationException("the agent is not started");

    /// <summary>Label handling (the clinician page posts through <see cref="SubmitLabel"/>).</summary>
    public LabelIngest Labels => _labels ?? throw new InvalidOperationException("the agent is not started");

    /// <summary>The embedded broker's port (devices connect here), or the external device broker's port.</summary>
    public int DeviceBrokerPort { get; private set; }

    /// <summary>Frames waiting for inference.</summary>
    public int InferenceQueueDepth => _engine?.QueueDepth ?? 0;

    /// <summary>Frames fully processed.</summary>
    public long FramesProcessed => _engine?.Processed ?? 0;

    /// <summary>True while the hub uplink is connected.</summary>
    public bool HubConnected => _hubClient?.IsConnected ?? false;

    /// <summary>Starts everything; returns once devices can connect and telemetry is subscribed.</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        if (_started)
        {
            throw new InvalidOperationException("the agent is already started");
        }

        _started = true;
        Options.Validate();
        var dataDir = Options.ResolveDataDirectory();
        Directory.CreateDirectory(dataDir);
        _store = new EdgeStore(Path.Combine(dataDir, "edge.db"), Options.EdgeId, _loggers.CreateLogger("EdgeHub.Edge.Store"));
        _writer = new StoreWriter(_store, Options.Sealing, Options.DiskQuotaMb, _loggers.CreateLogger("EdgeHub.Edge.Store"));
        Devices = new DeviceRegistry(Options);
        Models = new ModelManager(Options.EdgeId, new ModelVerifier(Options.ResolveHubPublicKey()), _http, Path.Combine(dataDir, "models"),
            Options.Inference.MaxBatch, _loggers.CreateLogger("EdgeHub.Edge.Models"), Options.HubUrl);
        Models.LoadPersisted();
        Models.Swapped += (_, _) =>
        {
            Drift.Reset();
            _ = PublishStatusAsync(online: true, CancellationToken.None);
        };

        await StartDeviceSideAsync(ct);
        // Embedded broker: feedback and alerts go straight into its routing (no loopback client hop per message).
        IEdgePublisher publisher = _broker is not null
            ? new BrokerEdgePublisher(_broker, _loggers.CreateLogger("EdgeHub.Edge.Publish"))
            : new MqttEdgePublisher(_deviceClient!, _loggers.CreateLogger("EdgeHub.Edge.Publish"));
        var output = new OutputStage(Options, publisher, _writer, Alerts, Drift, Metrics);
        _engine = new InferenceEngine(Options.Inference, Models, output, Metrics, _loggers.CreateLogger("EdgeHub.Edge.Inference"));
        _ingest = new TelemetryIngest(Options, Devices, _engine, publisher, Metrics, _loggers.CreateLogger("EdgeHub.Edge.Ingest"));
        _labels = new LabelIngest(_writer, Metrics, _loggers.CreateLogger("EdgeHub.Edge.Labels"));
        _engine.Wake();

        _hubClient = CreateHubClient();
        _uploader = new DeltaUploader(_store, _hubClient, Options, Metrics, _loggers.CreateLogger("EdgeHub.Edge.Upload"));
        _writer.Sealed += _ => _uploader.Notify();
        _hubClient.Connected += client =>
        {
            _uploader.Notify(resendAll: true);
            _ = PublishStatusAsync(online: true, CancellationToken.None);
        };
        _hubClient.MessageReceived = OnHubMessageAsync;
        _uploader.Start();

        // Telemetry last: everything it feeds exists now.
        if (_broker is not null)
        {
            // Embedded broker: in-process subscriptions, called inline on each device connection (no loopback MQTT hop,
            // ingest runs in parallel across connections). A QoS 1 frame's PUBACK waits until the frame is queued for
            // inference, a label's until the store committed it.
            var ingest = _ingest;
            var labels = _labels;
            var stop = _stop.Token;
            _localTelemetry = _broker.SubscribeLocal(Topics.AllTelemetry, MqttQos.AtLeastOnce, (m, _) => ingest.OnTelemetryAsync(m, stop));
            _localLabels = _broker.SubscribeLocal(Topics.AllLabels, MqttQos.AtLeastOnce, (m, _) => labels.OnLabelAsync(m, stop));
        }
        else
        {
            _deviceClient!.MessageReceived = OnDeviceMessageAsync;
            await _deviceClient.SubscribeAsync(
            [
                new MqttSubscription(Topics.AllTelemetry, MqttQos.AtLeastOnce),
                new MqttSubscription(Topics.AllLabels, MqttQos.AtLeastOnce),
            ], ct);
        }

        _hubConnect = ConnectHubAsync(_stop.Token);
        _statusLoop = StatusLoopAsync(_stop.Token);
        _logger.LogInformation("edge {EdgeId} ({Region}) running: devices on port {Port}, data in {Dir}, model {Model}",
            Options.EdgeId, Options.Region, DeviceBrokerPort, dataDir, Models.CurrentVersion ?? "none yet (safety net only)");
    }

    /// <summary>Submits a clinician label as if it arrived on the label topic (clinician page).</summary>
    public void SubmitLabel(LabelMessage label)
    {
        ArgumentNullException.ThrowIfNull(label);
        Labels.Submit(label);
    }

    private async Task StartDeviceSideAsync(CancellationToken ct)
    {
        var b = Options.DeviceBroker;
        if (b.Embedded)
        {
            // Listeners, TLS, password file and ACL come from the settings; capacity limits are the agent's.
            var brokerOptions = b.ToEmbeddedBrokerOptions();
            brokerOptions.MaxInflightMessages = 4096;
            brokerOptions.MaxQueuedMessages = 100_000;
            _broker = new MqttBroker(brokerOptions, _loggers);
            await _broker.StartAsync(ct);
            // Without a plain listener devices (and the uplink client when the hub broker is this one) connect over TLS.
            DeviceBrokerPort = _broker.Port >= 0 ? _broker.Port : _broker.TlsPort;
            return;
        }

        // External device broker: the agent is one more client of it.
        DeviceBrokerPort = b.Port;
        var host = b.Host!;
        _deviceClient = new MqttClient(ClientOptions(b, host, DeviceBrokerPort, $"edge-{Options.EdgeId}", will: null), _loggers.CreateLogger("EdgeHub.Edge.DeviceMqtt"));
        await _deviceClient.ConnectAsync(ct);
    }

    private MqttClient CreateHubClient()
    {
        var b = Options.HubBroker.IsEmpty ? Options.DeviceBroker : Options.HubBroker;
        var host = b.Embedded ? (b.BindAddress == "0.0.0.0" ? "127.0.0.1" : b.BindAddress) : b.Host!;
        var port = b.Embedded ? DeviceBrokerPort : b.Port;
        var will = new MqttApplicationMessage
        {
            Topic = Topics.Status(Options.EdgeId),
            Payload = JsonSerializer.SerializeToUtf8Bytes(BuildStatus(online: false), ContractsJson.Default.EdgeStatus),
            Qos = MqttQos.AtLeastOnce,
            Retain = true,
            ContentType = ContentTypes.Json,
        };
        return new MqttClient(ClientOptions(b, host, port, $"edge-{Options.EdgeId}-uplink", will), _loggers.CreateLogger("EdgeHub.Edge.HubMqtt"));
    }

    private static MqttClientOptions ClientOptions(BrokerOptions b, string host, int port, string clientId, MqttApplicationMessage? will) => new()
    {
        Host = host,
        Port = port,
        ClientId = clientId,
        ProtocolVersion = MqttProtocolVersion.V500,
        // A persistent session: QoS 1 messages published while the agent restarts wait for it at the broker.
        CleanStart = false,
        SessionExpiryInterval = 3600,
        KeepAliveSeconds = 15,
        Username = b.Username,
        Password = b.Password,
        Will = will,
        AutoReconnect = true,
        ReceiveMaximum = 4096,
        MaxPendingPublishes = 100_000,
        MaxReconnectDelay = TimeSpan.FromSeconds(10),
        Tls = b.ClientTls(host),
    };

    private async Task ConnectHubAsync(CancellationToken ct)
    {
        // The edge works offline: keep trying the hub uplink in the background; the client reconnects by itself afterwards.
        var delay = TimeSpan.FromSeconds(1);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await _hubClient!.ConnectAsync(ct);
                await _hubClient.SubscribeAsync(
                [
                    new MqttSubscription(Topics.Acks(Options.EdgeId), MqttQos.AtLeastOnce),
                    new MqttSubscription(Topics.RegionModel(Options.Region), MqttQos.AtLeastOnce),
                    new MqttSubscription(Topics.EdgeModel(Options.EdgeId), MqttQos.AtLeastOnce),
                ], ct);
                _uploader!.Notify(resendAll: true);
                await PublishStatusAsync(online: true, ct);
                return;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                _logger.LogWarning("hub uplink not reachable ({Message}); working offline, retrying in {Delay} s", ex.Message, delay.TotalSeconds);
                await Task.Delay(delay, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                delay = TimeSpan.FromSeconds(Math.Min(30, delay.TotalSeconds * 2));
            }
        }
    }

    private ValueTask OnDeviceMessageAsync(MqttApplicationMessage message, CancellationToken ct)
    {
        var topic = message.Topic;
        if (topic.EndsWith("/telemetry", StringComparison.Ordinal))
        {
            return _ingest!.OnTelemetryAsync(message, ct);
        }

        return topic.EndsWith("/labels", StringComparison.Ordinal) ? _labels!.OnLabelAsync(message, ct) : ValueTask.CompletedTask;
    }

    private ValueTask OnHubMessageAsync(MqttApplicationMessage message, CancellationToken ct)
    {
        var topic = message.Topic;
        if (topic == Topics.Acks(Options.EdgeId))
        {
            return _uploader!.OnAckAsync(message, ct);
        }

        var edgeSpecific = topic == Topics.EdgeModel(Options.EdgeId);
        if (edgeSpecific || topic == Topics.RegionModel(Options.Region))
        {
            // Selection in arrival order; download and ORT load continue in the background (acks keep flowing).
            _ = Models.OnAssignmentAsync(message.Payload.ToArray(), edgeSpecific, _stop.Token);
        }

        return ValueTask.CompletedTask;
    }
}
