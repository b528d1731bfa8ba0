using System.Diagnostics;
using EdgeHub.Contracts;
using EdgeHub.Edge.Status;
using EdgeHub.Edge.Store;
using EdgeHub.Edge.Tests.Support;
using EdgeHub.Mqtt;
using EdgeHub.Parquet;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeHub.Edge.Tests;

/// <summary>
/// The uploader's behaviour while the hub does not answer (a partition, or a hub that receives but cannot commit): only the
/// in-flight window is ever on the wire, it is resent whole at most once per backoff period (doubling), and once acks come
/// back every delta is delivered. Real embedded broker, real store, a test hub that can withhold its acks.
/// </summary>
public class DeltaResendPolicyTests
{
    private const int InFlight = 2;

    [Fact]
    public async Task SilentHub_OnlyTheOldestInFlightDeltasAreResent_OncePerDoublingPeriod_ThenAllAreDeliveredWhenAcksReturn()
    {
        using var dir = new TempDir();
        await using var broker = new MqttBroker(new MqttBrokerOptions { Port = 0 });
        await broker.StartAsync();
        await using var hub = await TestHub.StartAsync(broker.Port);
        hub.Acknowledge = false;
        using var store = new EdgeStore(Path.Combine(dir.Path, "e.db"), "edge-r", NullLogger.Instance);
        var sealedDeltas = SealDeltas(store, count: 6);
        var options = new EdgeOptions
        {
            EdgeId = "edge-r",
            Region = "eu",
            Sealing = new SealingOptions { InFlight = InFlight, RetrySeconds = 0.4, MaxRetrySeconds = 0.8 },
        };
        DeltaUploader? uploader = null;
        await using var client = new MqttClient(new MqttClientOptions { Host = "127.0.0.1", Port = broker.Port, ClientId = "edge-r" });
        client.MessageReceived = (m, ct) => uploader?.OnAckAsync(m, ct) ?? ValueTask.CompletedTask;
        await client.ConnectAsync();
        await client.SubscribeAsync(Topics.Acks("edge-r"), MqttQos.AtLeastOnce);
        uploader = new DeltaUploader(store, client, options, new EdgeMetrics(), NullLogger.Instance);
        await using var owned = uploader;
        var clock = Stopwatch.StartNew();
        uploader.Start();
        uploader.Notify();

        await Eventually.TrueAsync(() => uploader.SilentRounds >= 3, TimeSpan.FromSeconds(30), "three resend rounds without acks");
        var elapsed = clock.Elapsed;
        var rounds = uploader.SilentRounds;
        var messages = hub.Messages;

        // Only the oldest InFlight sequences ever reached the hub, however many deltas wait.
        Assert.Equal([sealedDeltas[0].Sequence, sealedDeltas[1].Sequence], hub.Committed.Keys.Order());
        // One first send of the window plus one whole-window resend per silent round: never more.
        Assert.InRange(messages, InFlight, InFlight * (1 + rounds));
        // Rounds wait 0.4 s, then 0.8 s (capped): three rounds take at least 2 s (a per-delta or unthrottled resend is faster).
        Assert.True(elapsed >= TimeSpan.FromSeconds(0.4 + 0.8 + 0.8 - 0.05), $"3 resend rounds after only {elapsed.TotalSeconds:F2} s");

        hub.Acknowledge = true;
        await Eventually.TrueAsync(() => store.UnackedCount == 0, TimeSpan.FromSeconds(30), "every delta acknowledged once the hub answers");
        Assert.Equal(sealedDeltas.Select(d => d.Sequence), hub.Committed.Keys.Order());
        Assert.Empty(hub.Violations);
        Assert.Equal(0, uploader.SilentRounds);
    }

    [Fact]
    public void RentDeltaBytes_StreamsTheFrozenBytesIntoAPooledBuffer_AndIsNullForUnknownSequences()
    {
        using var dir = new TempDir();
        using var store = new EdgeStore(Path.Combine(dir.Path, "e.db"), "edge-r", NullLogger.Instance);
        var delta = SealDeltas(store, count: 1)[0];
        var expected = store.ReadDeltaBytes(delta.Sequence)!;

        var rented = store.RentDeltaBytes(delta.Sequence, out var length);

        Assert.NotNull(rented);
        Assert.Equal(expected.Length, length);
        Assert.True(rented.AsSpan(0, length).SequenceEqual(expected));
        System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        Assert.Null(store.RentDeltaBytes(delta.Sequence + 100, out var none));
        Assert.Equal(0, none);
    }

    private static List<SealedDelta> SealDeltas(EdgeStore store, int count)
    {
        const int rowsPerDelta = 40;
        var rows = new WindowRecord[count * rowsPerDelta];
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i] = new WindowRecord
            {
                SiteId = "ward-1",
                DevicePseudonym = "p_dev",
                PatientPseudonym = "p_pat",
                WindowEndMicros = 1_000_000_000 + (i * 1_000_000L),
                RecordedAtMicros = 1_000_000_000 + (i * 1_000_000L) + 5,
            };
            for (var f = 0; f < FeatureSchema.Count; f++)
            {
                rows[i].Features[f] = i + (f / 100f);
            }
        }

        store.InsertWindows(rows, new long[rows.Length]);
        var deltas = new List<SealedDelta>();
        for (var d = 0; d < count; d++)
        {
            deltas.Add(store.TrySeal(rowsPerDelta, ParquetCompression.Snappy, maxUnacked: 100)
                ?? throw new InvalidOperationException("nothing to seal"));
        }

        return deltas;
    }
}
