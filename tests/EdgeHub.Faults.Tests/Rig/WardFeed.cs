using System.Collections.Concurrent;
using System.Text.Json;
using EdgeHub.Contracts;
using EdgeHub.Mqtt;
using EdgeHub.Simulator;

namespace EdgeHub.Faults.Tests.Rig;

/// <summary>
/// A deterministic ward on the edge's device broker: a seeded simulator fleet (QoS 1, one connection per device, frames of
/// 1 s) whose scripted tachycardia and bradycardia episodes trip the edge's heart-rate safety alerts within seconds, and a
/// clinician that confirms every raised alert with a rhythm class (so the confirmed windows become labelled rows).
/// </summary>
public sealed class WardFeed : IAsyncDisposable
{
    /// <summary>Alert kinds whose confirmation labels windows (the others carry no rhythm class).</summary>
    private static readonly HashSet<string> LabelledKinds = ["hr_high", "hr_low", "vt_run", "af", "pvc", "vt", "brady", "tachy"];

    private const string ScenarioJson = """
        {
          "name": "faults",
          "description": "fault suite ward: heart-rate episodes that raise safety alerts early and often",
          "sites": ["ward-f"],
          "devicePrefix": "fdev",
          "cohorts": [
            { "name": "tachy", "share": 0.4,
              "episodes": [ { "kind": "tachy", "start": 11, "duration": 16, "repeatEvery": 30, "jitter": 3, "rate": 150 } ] },
            { "name": "brady", "share": 0.3,
              "episodes": [ { "kind": "brady", "start": 12, "duration": 16, "repeatEvery": 30, "jitter": 3, "rate": 34 } ] }
          ]
        }
        """;

    private readonly Fleet _fleet;
    private readonly MqttClient _clinician;
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _clinicianStop = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _answered = new(StringComparer.Ordinal);
    private Task? _run;

    private WardFeed(int devicePort, int devices, int seed)
    {
        _fleet = new Fleet(new FleetOptions
        {
            BrokerPort = devicePort,
            Devices = devices,
            FramesPerSecond = 1,
            SampleRate = 250,
            Qos = MqttQos.AtLeastOnce,
            Seed = seed,
            Scenario = Scenario.Parse(ScenarioJson, "faults scenario"),
            MeasureFeedback = false,
            ClientIdPrefix = "fault-dev",
            SchedulerLoops = 1,
        });
        _clinician = new MqttClient(new MqttClientOptions
        {
            Port = devicePort,
            ClientId = "fault-clinician",
            AutoReconnect = true,
            MaxReconnectDelay = TimeSpan.FromSeconds(1),
        });
        _clinician.MessageReceived = OnAlertAsync;
    }

    /// <summary>Frames the devices published.</summary>
    public long FramesSent => _fleet.Stats.FramesSent;

    /// <summary>Alerts the clinician confirmed (alert id → when).</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> Answered => _answered;

    /// <summary>Connects the clinician and starts the devices.</summary>
    public static async Task<WardFeed> StartAsync(int devicePort, int devices, int seed)
    {
        var feed = new WardFeed(devicePort, devices, seed);
        await feed._clinician.ConnectAsync();
        await feed._clinician.SubscribeAsync(Topics.AllAlerts, MqttQos.AtLeastOnce);
        feed._run = feed._fleet.RunAsync(feed._stop.Token);
        return feed;
    }

    /// <summary>Stops the devices (the clinician keeps answering until disposed).</summary>
    public async Task StopDevicesAsync()
    {
        await _stop.CancelAsync();
        if (_run is not null)
        {
            try
            {
                await _run;
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopDevicesAsync();
        await _fleet.DisposeAsync();
        await _clinicianStop.CancelAsync();
        await _clinician.DisposeAsync();
        _stop.Dispose();
        _clinicianStop.Dispose();
    }

    private ValueTask OnAlertAsync(MqttApplicationMessage message, CancellationToken ct)
    {
        AlertMessage? alert;
        try
        {
            alert = JsonSerializer.Deserialize(message.Payload.Span, ContractsJson.Default.AlertMessage);
        }
        catch (JsonException)
        {
            return ValueTask.CompletedTask;
        }

        if (alert is null || alert.State != "raised" || !LabelledKinds.Contains(alert.Kind) || !_answered.TryAdd(alert.AlertId, DateTimeOffset.UtcNow))
        {
            return ValueTask.CompletedTask;
        }

        // Published off the receive loop: awaiting a PUBACK inside the message callback would wait on the loop itself.
        var label = new LabelMessage { AlertId = alert.AlertId, Action = "confirm", Clinician = "fault-suite", At = DateTimeOffset.UtcNow };
        var payload = JsonSerializer.SerializeToUtf8Bytes(label, ContractsJson.Default.LabelMessage);
        var topic = Topics.Labels(alert.SiteId);
        _ = Task.Run(async () =>
        {
            try
            {
                await _clinician.PublishAsync(topic, payload, MqttQos.AtLeastOnce, ct: _clinicianStop.Token);
            }
            catch (Exception ex) when (ex is MqttException or OperationCanceledException or ObjectDisposedException)
            {
                // The edge went away mid-publish (a kill scenario): the label is lost with the answer, as on a real ward.
            }
        }, CancellationToken.None);
        return ValueTask.CompletedTask;
    }
}
