using System.Collections.Concurrent;
using System.Text.Json;
using EdgeHub.Contracts;
using EdgeHub.Edge.Tests.Support;
using EdgeHub.Mqtt;
using EdgeHub.Simulator;
using EdgeHub.Testing;

namespace EdgeHub.Edge.Tests;

/// <summary>
/// One ward for the integration tests: an in-process agent (embedded broker, rule model "v1" serving), a test hub acking
/// deltas, an observer recording alerts and feedback, and six simulated devices with scripted episodes streaming 1-second
/// frames (QoS 1) in real time.
/// </summary>
public sealed class WardFixture : IAsyncLifetime
{
    public const string ScenarioJson = """
        { "name": "edge-ward-test", "sites": ["ward-1"], "devicePrefix": "dev",
          "cohorts": [
            { "name": "vt",      "devices": ["dev-00001"], "episodes": [ { "kind": "vt", "start": 14, "duration": 12, "rate": 190 } ] },
            { "name": "brady",   "devices": ["dev-00002"], "episodes": [ { "kind": "brady", "start": 0, "duration": 300, "rate": 34 } ] },
            { "name": "desat",   "devices": ["dev-00003"], "episodes": [ { "kind": "desat", "start": 0, "duration": 300, "spo2": 84 } ] },
            { "name": "leadoff", "devices": ["dev-00004"], "episodes": [ { "kind": "lead_off", "start": 2, "duration": 300 } ] },
            { "name": "tachy",   "devices": ["dev-00005"], "episodes": [ { "kind": "tachy", "start": 0, "duration": 300, "rate": 150 } ] }
          ] }
        """;

    private readonly CancellationTokenSource _stop = new();
    private MqttClient? _observer;
    private Task? _fleetRun;

    public AgentHarness Harness { get; private set; } = null!;

    public TestHub Hub { get; private set; } = null!;

    public Fleet Fleet { get; private set; } = null!;

    /// <summary>Every alert message seen on the site topic.</summary>
    public ConcurrentQueue<AlertMessage> Alerts { get; } = new();

    /// <summary>Every feedback seen: (device, feedback, when received).</summary>
    public ConcurrentQueue<(string Device, Feedback Feedback, DateTimeOffset At)> Feedback { get; } = new();

    public async Task InitializeAsync()
    {
        Harness = await AgentHarness.StartAsync();
        var agent = Harness.Agent;
        Assert.True(await agent.Models.InstallAsync(TestModels.Assign("v1", TestModels.RuleModel("v1")), CancellationToken.None), agent.Models.LastError);
        await Eventually.TrueAsync(() => agent.Models.CurrentVersion == "v1", TimeSpan.FromSeconds(10), "model v1 serving");
        Hub = await TestHub.StartAsync(Harness.Port);

        _observer = new MqttClient(new MqttClientOptions { Host = "127.0.0.1", Port = Harness.Port, ClientId = "ward-observer" });
        _observer.MessageReceived = (m, _) =>
        {
            if (m.Topic.EndsWith("/alerts", StringComparison.Ordinal))
            {
                Alerts.Enqueue(JsonSerializer.Deserialize(m.Payload.Span, ContractsJson.Default.AlertMessage)!);
            }
            else if (Topics.TryGetId(m.Topic, "devices", 1, out var device))
            {
                Feedback.Enqueue((device, JsonSerializer.Deserialize(m.Payload.Span, ContractsJson.Default.Feedback)!, DateTimeOffset.UtcNow));
            }

            return ValueTask.CompletedTask;
        };
        await _observer.ConnectAsync();
        await _observer.SubscribeAsync(Topics.AllAlerts, MqttQos.AtLeastOnce);
        await _observer.SubscribeAsync(Topics.Root + "/devices/+/feedback", MqttQos.AtMostOnce);

        Fleet = new Fleet(new FleetOptions
        {
            BrokerPort = Harness.Port,
            Devices = 6,
            FramesPerSecond = 1,
            SampleRate = 250,
            Scenario = Scenario.Parse(ScenarioJson),
            Duration = TimeSpan.FromSeconds(90),
            Qos = MqttQos.AtLeastOnce,
            ClientIdPrefix = "ward-sim",
            Seed = 7,
        });
        _fleetRun = Fleet.RunAsync(_stop.Token);
    }

    /// <summary>Alerts of one device.</summary>
    public List<AlertMessage> AlertsOf(string device) => [.. Alerts.Where(a => a.DeviceId == device)];

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_fleetRun is not null)
        {
            await _fleetRun.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await Fleet.DisposeAsync();
        if (_observer is not null)
        {
            await _observer.DisposeAsync();
        }

        await Hub.DisposeAsync();
        if (Environment.GetEnvironmentVariable("EDGEHUB_TEST_LOGS") is { Length: > 0 } logFile)
        {
            await File.WriteAllLinesAsync(logFile, Harness.Logs.Lines);
        }

        await Harness.DisposeAsync();
        _stop.Dispose();
    }
}

[CollectionDefinition("ward")]
public sealed class WardCollection : ICollectionFixture<WardFixture>;
