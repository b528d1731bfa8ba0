using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Globalization;
using EdgeHub.Contracts;
using EdgeHub.Edge;
using EdgeHub.Edge.Hosting;
using EdgeHub.Mqtt;
using EdgeHub.Onnx;
using EdgeHub.Simulator;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeHub.Bench;

/// <summary>
/// <c>./edgehub bench pipeline --heap [--devices N] [--seconds S]</c>: the agent's managed memory, measured exactly
/// instead of read off a process's RSS. The agent runs in this process as deployed (embedded broker, store, the bench's
/// trained model, a hub broker acknowledging deltas); one MQTT client publishes pre-encoded 1-second 250 Hz frames for N
/// devices at 1 frame/s each. Reports the live heap the agent adds (full GCs before start and after S seconds, the frames
/// already allocated before the baseline), the GC's own view (gen 2, committed) and the types allocating most (the runtime's
/// allocation tick, one sample per ~100 KB), which point at what feeds gen 2 between full GCs.
/// </summary>
internal static class PipelineHeap
{
    private const int CycleSeconds = 4; // frames repeat their signal every 4 s; sequence and time are patched in

    public static async Task<int> RunAsync(int devices, int seconds, TextWriter output, CancellationToken ct)
    {
        var dir = Path.Combine(Path.GetTempPath(), "edgehub-bench-heap-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        try
        {
            return await RunAsync(devices, seconds, dir, output, ct);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    private static async Task<int> RunAsync(int devices, int seconds, string dir, TextWriter output, CancellationToken ct)
    {
        var (topics, frames) = Encode(devices);
        using var key = ModelSignature.GenerateKey();
        var onnx = PipelineBenchModel.Train("bench-1", "bench", output);
        var hubBroker = new MqttBroker(new MqttBrokerOptions { Port = 0 });
        await hubBroker.StartAsync(ct);
        var hub = await PipelineBenchHub.StartAsync(hubBroker.Port, "bench", "bench-edge", ct);
        await PipelineBench.AssignModelAsync(hubBroker.Port, key, onnx, ct);

        // The devices' feedback subscriptions, as the simulator makes them (one SUBSCRIBE per 100 devices), built up front.
        var subscriptions = new List<MqttSubscription>[(devices + 99) / 100];
        for (var g = 0; g < subscriptions.Length; g++)
        {
            subscriptions[g] = [];
            for (var d = g * 100; d < Math.Min(devices, (g + 1) * 100); d++)
            {
                subscriptions[g].Add(new MqttSubscription(Topics.Feedback(DeviceId(d)), MqttQos.AtMostOnce));
            }
        }

        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        var options = new EdgeOptions
        {
            EdgeId = "bench-edge",
            Region = "bench",
            DataDirectory = Path.Combine(dir, "data"),
            PseudonymKey = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
            HubPublicKeyPem = ModelSignature.ExportPublicKeyPem(key),
            DeviceBroker = new BrokerOptions { Embedded = true, Port = 0 },
            HubBroker = new BrokerOptions { Host = "127.0.0.1", Port = hubBroker.Port },
            MaxDevices = 50_000,
            DiskQuotaMb = 2048,
        };
        var agent = new EdgeAgent(options, NullLoggerFactory.Instance);
        await agent.StartAsync(ct);
        var started = GC.GetTotalMemory(forceFullCollection: true) - baseline;

        var client = new MqttClient(new MqttClientOptions { Host = "127.0.0.1", Port = agent.DeviceBrokerPort, ClientId = "bench-heap-feeder" });
        client.MessageReceived = (_, _) => ValueTask.CompletedTask;
        await client.ConnectAsync(ct);
        var connected = GC.GetTotalMemory(forceFullCollection: true);
        foreach (var group in subscriptions)
        {
            await client.SubscribeAsync(group, ct);
        }

        var subscribed = GC.GetTotalMemory(forceFullCollection: true) - connected;
        var sampler = new AllocationSampler();
        var t0 = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        for (var s = 0; s < seconds; s++)
        {
            var micros = (t0.AddSeconds(s) - DateTimeOffset.UnixEpoch).Ticks / 10;
            for (var d = 0; d < devices; d++)
            {
                var payload = frames[d][s % CycleSeconds];
                BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(4), (uint)s);
                BinaryPrimitives.WriteInt64LittleEndian(payload.AsSpan(8), micros);
                await client.PublishAsync(topics[d], payload, MqttQos.AtMostOnce, ct: ct);
            }

            var due = TimeSpan.FromSeconds(s + 1) - clock.Elapsed;
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due, ct);
            }
        }

        sampler.Dispose();
        var beforeGc = GC.GetGCMemoryInfo();
        var live = GC.GetTotalMemory(forceFullCollection: true) - baseline;
        var after = GC.GetGCMemoryInfo();
        output.WriteLine($"agent in process, {devices} devices x {seconds} s at 1 frame/s ({agent.FramesProcessed} frames processed, {agent.Devices.Count} devices tracked, {agent.Alerts.ActiveCount} alerts active, {hub.Acked} deltas acked)");
        output.WriteLine($"feedback subscriptions of {devices} devices in the embedded broker (and the subscribing client's records): {subscribed / 1e6:F1} MB, {subscribed / (double)devices:F0} B per device");
        output.WriteLine($"live managed bytes the agent holds: started {started / 1e6:F1} MB, with devices {live / 1e6:F1} MB ({(live - started) / (double)devices:F0} B per device)");
        output.WriteLine($"GC before the final full GC: heap {beforeGc.HeapSizeBytes / 1e6:F1} MB, committed {beforeGc.TotalCommittedBytes / 1e6:F1} MB; after: heap {after.HeapSizeBytes / 1e6:F1} MB, committed {after.TotalCommittedBytes / 1e6:F1} MB");
        output.WriteLine($"GCs during the feed: gen0 {GC.CollectionCount(0)}, gen1 {GC.CollectionCount(1)}, gen2 {GC.CollectionCount(2)} (whole process)");
        output.WriteLine("allocated while feeding, by type (sampled every ~100 KB; the feeder's MQTT client included):");
        var total = sampler.Total;
        foreach (var (type, bytes) in sampler.Top(20))
        {
            output.WriteLine($"  {bytes / 1e6,9:F1} MB {100.0 * bytes / total,5:F1} %  {type}");
        }

        output.WriteLine($"  {total / 1e6,9:F1} MB total, {total / (double)Math.Max(1, agent.FramesProcessed):F0} B per frame");
        // What the device states hold: evict every device (idle limit 0) and see what a full GC frees.
        var deviceCount = agent.Devices.Count;
        options.DeviceIdleSeconds = 0;
        agent.Devices.Sweep();
        var withoutDevices = GC.GetTotalMemory(forceFullCollection: true) - baseline;
        output.WriteLine($"device states (registry, analyzers, alert trackers, window logs, ids): {(live - withoutDevices) / 1e6:F1} MB, {(live - withoutDevices) / (double)deviceCount:F0} B per device; everything else above the baseline {withoutDevices / 1e6:F1} MB (alerts, pools, store, broker, models, and in this process the hub's side)");
        output.WriteLine($"pooled: {PoolCount(typeof(EdgeHub.Edge.Inference.WorkItem))} work items, {PoolCount(typeof(EdgeHub.Edge.Store.WindowRecordPool))} window records, {BrokerPayloadPoolBytes() / 1e6:F1} MB of free broker payload arrays; alerts active {agent.Alerts.ActiveCount}");
        await client.DisposeAsync();
        await agent.DisposeAsync();
        await hub.DisposeAsync();
        await hubBroker.DisposeAsync();
        GC.KeepAlive(frames);
        return 0;
    }

    /// <summary>Items in a type's private static pool (a ConcurrentQueue named Pool), by reflection: diagnostics only.</summary>
    private static int PoolCount(Type type) =>
        type.GetField("Pool", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)?.GetValue(null) is System.Collections.ICollection c ? c.Count : -1;

    /// <summary>Bytes of free arrays in EdgeHub.Mqtt's internal PayloadPool, by reflection: diagnostics only.</summary>
    private static long BrokerPayloadPoolBytes()
    {
        const System.Reflection.BindingFlags Any = System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Instance;
        var pool = typeof(MqttBroker).Assembly.GetType("EdgeHub.Mqtt.Broker.PayloadPool");
        if (pool?.GetField("s_classes", Any)?.GetValue(null) is not Array classes)
        {
            return -1;
        }

        long bytes = 0;
        foreach (var c in classes)
        {
            var t = c!.GetType();
            bytes += (long)(int)t.GetField("Count", Any)!.GetValue(c)! * (int)t.GetField("Size", Any)!.GetValue(c)!;
        }

        return bytes;
    }

    private static string DeviceId(int d) => "dev-" + d.ToString("D5", CultureInfo.InvariantCulture);

    private static (string[] Topics, byte[][][] Frames) Encode(int devices)
    {
        var topics = new string[devices];
        var frames = new byte[devices][][];
        var frame = new TelemetryFrame { SpO2 = 97, RespirationRate = 14, SiteId = "ward-1" };
        var start = DateTimeOffset.UtcNow;
        for (var d = 0; d < devices; d++)
        {
            topics[d] = Topics.Telemetry(DeviceId(d));
            frame.PatientId = "patient-" + d.ToString("D5", CultureInfo.InvariantCulture);
            frame.Bed = "bed-" + (d % 40).ToString(CultureInfo.InvariantCulture);
            var source = new SyntheticEcg(250, d);
            frames[d] = new byte[CycleSeconds][];
            for (var s = 0; s < CycleSeconds; s++)
            {
                source.Generate(frame, start.AddSeconds(s), 250, null);
                frames[d][s] = TelemetryCodec.Encode(frame);
            }
        }

        return (topics, frames);
    }

    /// <summary>The runtime's GCAllocationTick events (GC keyword, verbose), summed by type.</summary>
    private sealed class AllocationSampler : EventListener
    {
        private readonly ConcurrentDictionary<string, long> _bytes = new(StringComparer.Ordinal);
        private volatile bool _on = true;

        public long Total
        {
            get
            {
                long t = 0;
                foreach (var (_, v) in _bytes)
                {
                    t += v;
                }

                return t;
            }
        }

        public List<(string Type, long Bytes)> Top(int n)
        {
            var all = _bytes.Select(p => (p.Key, p.Value)).ToList();
            all.Sort((a, b) => b.Value.CompareTo(a.Value));
            return all.Take(n).ToList();
        }

        public override void Dispose()
        {
            _on = false;
            base.Dispose();
        }

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
            {
                EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)0x1);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            if (!_on || e.EventName is null || !e.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) || e.PayloadNames is null || e.Payload is null)
            {
                return;
            }

            var type = e.PayloadNames.IndexOf("TypeName") is var t and >= 0 ? e.Payload[t] as string ?? "?" : "?";
            var amountIndex = e.PayloadNames.IndexOf("AllocationAmount64");
            var amount = amountIndex >= 0 ? Convert.ToInt64(e.Payload[amountIndex], CultureInfo.InvariantCulture) : 100_000;
            _bytes.AddOrUpdate(type, amount, (_, v) => v + amount);
        }
    }
}
