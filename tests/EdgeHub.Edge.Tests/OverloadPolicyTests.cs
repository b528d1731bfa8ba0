using EdgeHub.Contracts;
using EdgeHub.Edge.Ingest;
using EdgeHub.Edge.Tests.Support;
using EdgeHub.Mqtt;
using EdgeHub.Testing;

namespace EdgeHub.Edge.Tests;

/// <summary>
/// The inference queue's overload policy with a one-frame queue: every accepted frame is either processed (feedback sent) or
/// counted as shed, never lost silently; QoS 1 frames are never shed (they wait for room).
/// </summary>
public class OverloadPolicyTests
{
    private const int Devices = 100;
    private const int FramesPerDevice = 20;

    private static async Task<long> FloodAsync(int port, MqttQos qos, string prefix)
    {
        await using var client = new MqttClient(new MqttClientOptions { Host = "127.0.0.1", Port = port, ClientId = prefix + "-flood" });
        await client.ConnectAsync();
        var frame = new TelemetryFrame { SampleRate = 250, SpO2 = 97, SiteId = "ward-1", Bed = "b1" };
        frame.SetSampleCount(250).Fill(10);
        var start = TelemetryIngest.UnixMicrosNow() - (FramesPerDevice * 1_000_000L);
        long sent = 0;
        for (var s = 0; s < FramesPerDevice; s++)
        {
            for (var d = 0; d < Devices; d++)
            {
                frame.Sequence = (uint)s;
                frame.TimestampMicros = start + (s * 1_000_000L);
                frame.PatientId = $"{prefix}-patient-{d}";
                await client.PublishAsync(Topics.Telemetry($"{prefix}-{d:D3}"), TelemetryCodec.Encode(frame), qos);
                sent++;
            }
        }

        return sent;
    }

    private static Task<AgentHarness> StartWithOneFrameQueueAsync() =>
        AgentHarness.StartAsync(o => o.Inference = new InferenceOptions { MaxBatch = 1, QueueCapacity = 1 });

    [Fact]
    public async Task QueueFull_Qos0Frames_ProcessedOrCountedAsShed()
    {
        await using var harness = await StartWithOneFrameQueueAsync();
        var agent = harness.Agent;
        var m = agent.Metrics;
        var sent = await FloodAsync(harness.Port, MqttQos.AtMostOnce, "q0");
        await Eventually.TrueAsync(() => m.FramesReceived == sent, TimeSpan.FromSeconds(30), $"all {sent} QoS 0 frames reach ingest");
        await Eventually.TrueAsync(() => agent.FramesProcessed + m.FramesShed == m.FramesAccepted, TimeSpan.FromSeconds(30),
            $"every accepted frame processed or counted as shed (accepted {m.FramesAccepted}, processed {agent.FramesProcessed}, shed {m.FramesShed})");
        Assert.Equal(sent, m.FramesAccepted);
        Assert.Equal(m.FramesAccepted - m.FramesShed, m.FeedbackSent);
        if (m.FramesShed > 0)
        {
            // How many are shed depends on scheduling; when any are, a warning says so.
            await Eventually.TrueAsync(() => harness.Logs.Contains("inference queue full", "shed"), TimeSpan.FromSeconds(10), "a warning names the shed frames");
        }
    }

    [Fact]
    public async Task QueueFull_Qos1Frames_WaitAndAreAllProcessed()
    {
        await using var harness = await StartWithOneFrameQueueAsync();
        var agent = harness.Agent;
        var sent = await FloodAsync(harness.Port, MqttQos.AtLeastOnce, "q1");
        await Eventually.TrueAsync(() => agent.FramesProcessed == sent, TimeSpan.FromSeconds(60),
            $"all {sent} QoS 1 frames processed (processed {agent.FramesProcessed}, shed {agent.Metrics.FramesShed})");
        Assert.Equal(sent, agent.Metrics.FramesAccepted);
        Assert.Equal(0, agent.Metrics.FramesShed);
        Assert.Equal(sent, agent.Metrics.FeedbackSent);
    }
}
