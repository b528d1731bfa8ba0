using System.Text.Json;
using EdgeHub.Contracts;
using EdgeHub.Edge.Tests.Support;
using EdgeHub.Mqtt;
using EdgeHub.Simulator;
using EdgeHub.Testing;

namespace EdgeHub.Edge.Tests;

public class ModelSwapUnderLoadTests
{
    [Fact]
    public async Task ModelSwaps_At5000FramesPerSecond_LoseAndRepeatNoFrame()
    {
        await using var harness = await AgentHarness.StartAsync(o => o.Sealing.MaxRows = 5000);
        var agent = harness.Agent;
        Assert.True(await agent.Models.InstallAsync(TestModels.Assign("v1", TestModels.RuleModel("v1")), CancellationToken.None));
        await Eventually.TrueAsync(() => agent.Models.CurrentVersion == "v1", TimeSpan.FromSeconds(10), "v1 serving");
        await using var hub = new MqttClient(new MqttClientOptions { Host = "127.0.0.1", Port = harness.Port, ClientId = "swap-hub" });
        await hub.ConnectAsync();

        // 500 devices × 10 frames/s (25 samples at 250 Hz) = 5,000 frames/s, QoS 1 so the broker drops nothing.
        await using var fleet = new Fleet(new FleetOptions
        {
            BrokerPort = harness.Port,
            Devices = 500,
            FramesPerSecond = 10,
            SampleRate = 250,
            Duration = TimeSpan.FromSeconds(24), // windows exist after 10 s of signal; the swaps happen in the 14 s after
            Qos = MqttQos.AtLeastOnce,
            DevicesPerConnection = 25,
            ClientIdPrefix = "swap-sim",
        });
        var run = fleet.RunAsync(CancellationToken.None);
        await Eventually.TrueAsync(() => agent.Metrics.WindowsInferred > 5_000, TimeSpan.FromSeconds(40), "windows inferred by v1");

        // Swap at once (v2), then a shadowed swap (v3) while frames keep flowing.
        var v2 = TestModels.Assign("v2", TestModels.RuleModel("v2", bias: 0.2f));
        await hub.PublishAsync(Topics.RegionModel("eu"), JsonSerializer.SerializeToUtf8Bytes(v2, ContractsJson.Default.ModelAssignment), MqttQos.AtLeastOnce, retain: true);
        await Eventually.TrueAsync(() => agent.Models.CurrentVersion == "v2", TimeSpan.FromSeconds(20), "v2 swapped in");
        var v3 = TestModels.Assign("v3", TestModels.RuleModel("v3", bias: 0.4f), shadowWindows: 3000);
        await hub.PublishAsync(Topics.EdgeModel("edge-t"), JsonSerializer.SerializeToUtf8Bytes(v3, ContractsJson.Default.ModelAssignment), MqttQos.AtLeastOnce, retain: true);
        await Eventually.TrueAsync(() => agent.Models.CurrentVersion == "v3", TimeSpan.FromSeconds(30), "v3 swapped in after its shadow run");
        Assert.True(agent.Models.ShadowAgreement > 0.9, $"shadow agreement {agent.Models.ShadowAgreement}");
        Assert.Equal("v2", agent.Models.PreviousVersion);

        await run;
        var sent = fleet.Stats.FramesSent;
        Assert.True(sent >= 100_000, $"only {sent} frames sent ({fleet.Summarize().ToJson()})");
        await Eventually.TrueAsync(() => agent.FramesProcessed == sent, TimeSpan.FromSeconds(30),
            $"every one of {sent} frames processed (processed {agent.FramesProcessed}, accepted {agent.Metrics.FramesAccepted})");
        Assert.Equal(sent, agent.Metrics.FramesAccepted);
        Assert.Equal(sent, agent.Metrics.FeedbackSent);
        Assert.Equal(0, agent.Metrics.DuplicateFrames);
        Assert.Equal(0, agent.Metrics.LostFrames);
        Assert.Equal(0, agent.Metrics.BadFrames);
        Assert.Equal(0, agent.Metrics.ModelFailures);
        Assert.Equal(agent.Metrics.Windows, agent.Metrics.WindowsInferred);
    }
}
