using System.Text.Json;
using EdgeHub.Testing;
using Xunit.Abstractions;

namespace EdgeHub.Simulator.Tests;

/// <summary>The fleet against a real mosquitto broker, with a stand-in edge that parses every frame and answers feedback.</summary>
public sealed class FleetTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Run_Mosquitto_EveryFrameArrivesValidInOrder_AndLatencyIsMeasured()
    {
        await using var broker = await Mosquitto.StartAsync();
        await using var edge = await EchoEdge.StartAsync(broker.Port);
        var truthPath = Path.Combine(Path.GetTempPath(), $"ehub-sim-truth-{Guid.NewGuid():N}.jsonl");
        var options = new FleetOptions
        {
            BrokerPort = broker.Port, Devices = 30, FramesPerSecond = 4, Duration = TimeSpan.FromSeconds(4), TruthPath = truthPath,
        };
        await using (var fleet = new Fleet(options))
        {
            await Eventually.WithinAsync(fleet.RunAsync(CancellationToken.None).ContinueWith(_ => true, TaskScheduler.Default), Deadline, "fleet run");
            var summary = fleet.Summarize();
            output.WriteLine(summary.ToJson());
            Assert.Equal(30, summary.ConnectedAtEnd);
            Assert.InRange(summary.FramesSent, (30 * 15) - 5, 30 * 16);   // 4 s at 4 frames/s, less each device's stagger
            Assert.Equal(0, summary.PublishErrors);
            await Eventually.TrueAsync(() => edge.Valid == summary.FramesSent, Deadline, $"edge received {edge.Valid} of {summary.FramesSent} frames");
            await Eventually.TrueAsync(() => fleet.Stats.Latency.Count == summary.FramesSent, Deadline,
                $"latency matched for {fleet.Stats.Latency.Count} of {summary.FramesSent} frames");
            Assert.True(fleet.Stats.Latency.Percentile(50) > 0);
            Assert.Equal(0, edge.Invalid);
            Assert.Equal(0, fleet.Stats.FeedbackUnmatched);
        }

        // Per device: sequence numbers 0,1,2,… without gaps, 62- or 63-sample frames (250 Hz / 4), timestamps 250 ms apart.
        Assert.Equal(30, edge.Frames.Count);
        foreach (var (device, frames) in edge.Frames)
        {
            var list = frames.ToList();
            for (var i = 0; i < list.Count; i++)
            {
                Assert.Equal((uint)i, list[i].Seq);
                Assert.InRange(list[i].Samples, 62, 63);
                if (i > 0)
                {
                    Assert.InRange(list[i].TimestampMicros - list[i - 1].TimestampMicros, 248_000, 252_000);
                }
            }
        }

        // The truth file: a run line, 30 devices, episodes of the default scenario's early cohorts, and beats.
        var lines = await File.ReadAllLinesAsync(truthPath);
        File.Delete(truthPath);
        var types = lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("type").GetString()).ToList();
        Assert.Equal("run", types[0]);
        Assert.Equal("end", types[^1]);
        Assert.Equal(30, types.Count(t => t == "device"));
        Assert.True(types.Count(t => t == "beats") > 100, "beats lines missing");   // ~30 devices × 4 s × 70 bpm / 60
        var beatTimes = lines.Where(l => l.Contains("\"beats\"", StringComparison.Ordinal))
            .SelectMany(l => JsonDocument.Parse(l).RootElement.GetProperty("us").EnumerateArray().Select(e => e.GetInt64())).ToList();
        var runStart = JsonDocument.Parse(lines[0]).RootElement.GetProperty("startUs").GetInt64();
        Assert.All(beatTimes, t => Assert.InRange(t, runStart, runStart + 5_000_000));
    }

    [Fact]
    public async Task Run_Faults_MalformedDuplicatesSkewAndStorms_AreInjectedAndCounted()
    {
        await using var broker = await Mosquitto.StartAsync();
        await using var edge = await EchoEdge.StartAsync(broker.Port);
        var options = new FleetOptions
        {
            BrokerPort = broker.Port, Devices = 40, FramesPerSecond = 5, Duration = TimeSpan.FromSeconds(6), Seed = 5,
            Faults = new FaultOptions
            {
                MalformedRate = 0.05, DuplicateRate = 0.05, ClockSkewSeconds = 30,
                DisconnectStormEverySeconds = 1.5, DisconnectFraction = 0.3, ReconnectWithinSeconds = 0.5,
            },
        };
        await using var fleet = new Fleet(options);
        await Eventually.WithinAsync(fleet.RunAsync(CancellationToken.None).ContinueWith(_ => true, TaskScheduler.Default), Deadline, "fleet run");
        var s = fleet.Summarize();
        output.WriteLine(s.ToJson());
        Assert.True(s.MalformedSent > 0 && s.DuplicatesSent > 0, "no malformed or duplicate frames");
        Assert.True(s.Disconnects > 0 && s.Reconnects > 0, "no disconnect storm happened");
        Assert.True(s.FramesQueued > 0, "devices should queue frames while their connection is down");
        await Eventually.TrueAsync(() => edge.Valid + edge.Invalid >= s.FramesSent - s.PublishErrors, Deadline,
            $"edge saw {edge.Valid + edge.Invalid} of {s.FramesSent} payloads");
        Assert.Equal(s.MalformedSent, edge.Invalid);
        // Duplicates repeat a sequence number; clock skew moves timestamps away from the run's clock by up to ±30 s.
        var seqs = edge.Frames.Values.SelectMany(q => q.GroupBy(f => f.Seq).Where(g => g.Count() > 1)).Count();
        Assert.True(seqs > 0, "edge saw no repeated sequence numbers");
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        var offsets = edge.Frames.Values.Select(q => q.First().TimestampMicros - now).ToList();
        Assert.Contains(offsets, o => Math.Abs(o) > 5_000_000);
        Assert.All(offsets, o => Assert.InRange(o, -45_000_000, 35_000_000));
        // Frames held during an outage are sent first when the device is back: each device's sequence never goes backwards.
        foreach (var frames in edge.Frames.Values)
        {
            var list = frames.Select(f => f.Seq).ToList();
            Assert.True(list.Zip(list.Skip(1)).All(p => p.Second >= p.First), string.Join(",", list));
        }
    }

    [Fact]
    public async Task Run_Multiplexed_ManyDevicesOnFewConnections()
    {
        await using var broker = await Mosquitto.StartAsync();
        await using var edge = await EchoEdge.StartAsync(broker.Port);
        var options = new FleetOptions
        {
            BrokerPort = broker.Port, Devices = 200, DevicesPerConnection = 50, FramesPerSecond = 2, Duration = TimeSpan.FromSeconds(3),
        };
        await using var fleet = new Fleet(options);
        await Eventually.WithinAsync(fleet.RunAsync(CancellationToken.None).ContinueWith(_ => true, TaskScheduler.Default), Deadline, "fleet run");
        var s = fleet.Summarize();
        output.WriteLine(s.ToJson());
        Assert.Equal(4, s.Connections);
        Assert.Equal(4, s.ConnectedAtEnd);
        Assert.InRange(s.FramesSent, (200 * 5) - 10, 200 * 6);   // a frame due at the very end may miss the cut
        await Eventually.TrueAsync(() => fleet.Stats.Latency.Count == s.FramesSent, Deadline,
            $"feedback matched for {fleet.Stats.Latency.Count} of {s.FramesSent} frames (routed by device id on shared connections)");
        Assert.Equal(200, edge.Frames.Count);
    }

    [Fact]
    public async Task Run_EmbeddedBroker_FramesAndFeedbackFlow()
    {
        await using var broker = new EdgeHub.Mqtt.MqttBroker(new EdgeHub.Mqtt.MqttBrokerOptions { Port = 0 });
        await broker.StartAsync();
        await using var edge = await EchoEdge.StartAsync(broker.Port);
        var options = new FleetOptions { BrokerPort = broker.Port, Devices = 50, FramesPerSecond = 2, Duration = TimeSpan.FromSeconds(3) };
        await using var fleet = new Fleet(options);
        await Eventually.WithinAsync(fleet.RunAsync(CancellationToken.None).ContinueWith(_ => true, TaskScheduler.Default), Deadline, "fleet run");
        var s = fleet.Summarize();
        output.WriteLine(s.ToJson());
        Assert.Equal(50, s.ConnectedAtEnd);
        Assert.InRange(s.FramesSent, (50 * 5) - 5, 50 * 6);
        await Eventually.TrueAsync(() => edge.Valid == s.FramesSent, Deadline, $"edge received {edge.Valid} of {s.FramesSent} frames");
        await Eventually.TrueAsync(() => fleet.Stats.Latency.Count == s.FramesSent, Deadline,
            $"latency matched for {fleet.Stats.Latency.Count} of {s.FramesSent} frames");
    }

    [Fact]
    public async Task Run_NoBroker_FailsWithAClearReason()
    {
        var options = new FleetOptions { BrokerPort = 1, Devices = 2, Duration = TimeSpan.FromSeconds(1), ConnectConcurrency = 2 };
        await using var fleet = new Fleet(options);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => fleet.RunAsync(CancellationToken.None));
        Assert.Contains("could not connect any device to the MQTT broker 127.0.0.1:1", error.Message, StringComparison.Ordinal);
        Assert.True(fleet.Stats.ConnectFailures >= 2);
    }

    [Fact]
    public async Task Run_Cancelled_EndsQuietly()
    {
        await using var broker = await Mosquitto.StartAsync();
        var options = new FleetOptions { BrokerPort = broker.Port, Devices = 10, MeasureFeedback = false };
        await using var fleet = new Fleet(options);
        using var cts = new CancellationTokenSource();
        var run = fleet.RunAsync(cts.Token);
        await Eventually.TrueAsync(() => fleet.Stats.FramesSent >= 10, Deadline, "frames flowing");
        await cts.CancelAsync();
        await Eventually.WithinAsync(run.ContinueWith(t => t.Status, TaskScheduler.Default), Deadline, "run ends after cancel");
        Assert.True(run.IsCompletedSuccessfully, $"run ended {run.Status}: {run.Exception?.GetBaseException().Message}");
    }
}
