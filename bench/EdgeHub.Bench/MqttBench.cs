using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using EdgeHub.Mqtt;

namespace EdgeHub.Bench;

/// <summary>
/// <c>./edgehub bench mqtt</c>: our broker beside mosquitto on loopback, same load generator, same limits (in-flight
/// window, queue length, no persistence). Fan-in (many publishers → one subscriber) at QoS 0/1 with 256 B and 4 KB
/// payloads, fan-out (one publisher → many subscribers), and broker RSS with 10,000 idle clients.
/// </summary>
public static class MqttBench
{
    private sealed record Case(string Name, bool FanIn, MqttQos Qos, int PayloadSize);

    private const ushort Inflight = 100;
    private const int Queued = 10_000;

    /// <summary>Runs the benchmark; options: --duration SECONDS (5), --rounds N (2, best kept), --publishers N (8), --subscribers N (16), --idle-clients N (10000), --case TEXT (only cases whose name contains it).</summary>
    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(args);
        var duration = TimeSpan.FromSeconds(Arg(args, "--duration", 5));
        var publishers = Arg(args, "--publishers", 8);
        var subscribers = Arg(args, "--subscribers", 16);
        var idleClients = Arg(args, "--idle-clients", 10_000);
        var rounds = Arg(args, "--rounds", 2);
        Case[] cases =
        [
            new("fan-in qos0 256B", true, MqttQos.AtMostOnce, 256),
            new("fan-in qos1 256B", true, MqttQos.AtLeastOnce, 256),
            new("fan-in qos0 4KB", true, MqttQos.AtMostOnce, 4096),
            new("fan-in qos1 4KB", true, MqttQos.AtLeastOnce, 4096),
            new("fan-out qos0 256B", false, MqttQos.AtMostOnce, 256),
            new("fan-out qos1 256B", false, MqttQos.AtLeastOnce, 256),
        ];
        Console.WriteLine($"MQTT relay: {publishers} publishers -> 1 subscriber (fan-in), 1 publisher -> {subscribers} subscribers (fan-out); best of {rounds} x {duration.TotalSeconds:0}s; MQTT 5 raw load generator; in-flight {Inflight}, queue {Queued}, persistence off (both brokers)");
        Console.WriteLine($"{"case",-20} {"edgehub msg/s",14} {"mosquitto msg/s",16} {"ratio",7} {"edgehub cpu",12} {"mosquitto cpu",13}  (broker CPU us per relayed msg)");
        var results = new JsonArray();
        var minRatio = double.MaxValue;
        var only = Array.IndexOf(args, "--case") is var ci and >= 0 && ci + 1 < args.Length ? args[ci + 1] : null;
        foreach (var c in cases)
        {
            if (only != null && !c.Name.Contains(only, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            // Alternate the brokers and keep each one's best round: the machine is shared, so a round can lose its CPU.
            // CPU per relayed message is reported too: on a loaded machine it is steadier than the rate.
            double ours = 0, mosquitto = 0, oursCpu = double.MaxValue, mosquittoCpu = double.MaxValue;
            for (var r = 0; r < rounds; r++)
            {
                var (rate, cpu) = await MeasureAsync(c, ours: true, publishers, subscribers, duration, ct).ConfigureAwait(false);
                ours = Math.Max(ours, rate);
                oursCpu = Math.Min(oursCpu, cpu);
                (rate, cpu) = await MeasureAsync(c, ours: false, publishers, subscribers, duration, ct).ConfigureAwait(false);
                mosquitto = Math.Max(mosquitto, rate);
                mosquittoCpu = Math.Min(mosquittoCpu, cpu);
            }
            var ratio = mosquitto > 0 ? ours / mosquitto : 0;
            minRatio = Math.Min(minRatio, ratio);
            Console.WriteLine($"{c.Name,-20} {ours,14:N0} {mosquitto,16:N0} {ratio,7:0.00} {oursCpu,12:0.00} {mosquittoCpu,13:0.00}");
            results.Add(new JsonObject
            {
                ["case"] = c.Name, ["ours"] = Math.Round(ours), ["mosquitto"] = Math.Round(mosquitto), ["ratio"] = Math.Round(ratio, 3),
                ["cpu_us_per_msg"] = new JsonObject { ["ours"] = Math.Round(oursCpu, 2), ["mosquitto"] = Math.Round(mosquittoCpu, 2) },
            });
        }
        var rssOurs = await IdleRssAsync(true, idleClients, ct).ConfigureAwait(false);
        var rssMosquitto = await IdleRssAsync(false, idleClients, ct).ConfigureAwait(false);
        Console.WriteLine($"broker RSS with {idleClients:N0} idle clients: edgehub {rssOurs:0.0} MB, mosquitto {rssMosquitto:0.0} MB (target <= 200 MB)");
        var json = new JsonObject
        {
            ["bench"] = "mqtt",
            ["cases"] = results,
            ["min_ratio"] = Math.Round(minRatio, 3),
            ["idle_clients"] = idleClients,
            ["rss_mb_idle"] = new JsonObject { ["ours"] = Math.Round(rssOurs, 1), ["mosquitto"] = Math.Round(rssMosquitto, 1) },
        };
        BenchResult.Write("mqtt", json, Console.Out);
        return 0;
    }

    private static int Arg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        if (i < 0)
        {
            return fallback;
        }
        if (i + 1 >= args.Length || !int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var value) || value <= 0)
        {
            throw new ArgumentException($"{name} needs a positive integer");
        }
        return value;
    }

    /// <summary>Relayed messages per second and broker CPU microseconds per relayed message (-1 when unknown).</summary>
    private static async Task<(double Rate, double CpuMicros)> MeasureAsync(Case c, bool ours, int publisherCount, int subscriberCount, TimeSpan duration, CancellationToken ct)
    {
        await using var broker = ours
            ? await BenchBroker.StartOursAsync(Inflight, Queued, ct).ConfigureAwait(false)
            : await BenchBroker.StartMosquittoAsync(Inflight, Queued, ct).ConfigureAwait(false);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var subs = c.FanIn ? 1 : subscriberCount;
        var pubs = c.FanIn ? publisherCount : 1;
        long received = 0;
        var connections = new List<MqttLoadConnection>();
        var loops = new List<Task>();
        try
        {
            for (var i = 0; i < subs; i++)
            {
                var sub = await MqttLoadConnection.ConnectAsync(broker.Port, "sub" + i.ToString(CultureInfo.InvariantCulture), ct).ConfigureAwait(false);
                connections.Add(sub);
                await sub.SubscribeAsync("bench/#", c.Qos, ct).ConfigureAwait(false);
                loops.Add(sub.ReceiveLoopAsync(n => Interlocked.Add(ref received, n), null, stop.Token));
            }
            long sent = 0;
            // Closed loop: at most this many messages (per subscriber) between publishers and the subscribers.
            var window = 4000L;
            for (var p = 0; p < pubs; p++)
            {
                var pub = await MqttLoadConnection.ConnectAsync(broker.Port, "pub" + p.ToString(CultureInfo.InvariantCulture), ct).ConfigureAwait(false);
                connections.Add(pub);
                var batch = new PublishBatch("bench/p" + p.ToString(CultureInfo.InvariantCulture), c.PayloadSize, c.Qos);
                long acked = 0;
                loops.Add(pub.ReceiveLoopAsync(_ => { }, n => Interlocked.Add(ref acked, n), stop.Token));
                loops.Add(PublishLoopAsync(pub, batch, () => Interlocked.Read(ref acked), () => Volatile.Read(ref sent), n => Interlocked.Add(ref sent, n),
                    () => Interlocked.Read(ref received) / subs, window, stop.Token));
            }
            await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false); // warm-up
            var start = Interlocked.Read(ref received);
            var cpuStart = broker.CpuSeconds();
            var watch = Stopwatch.StartNew();
            await Task.Delay(duration, ct).ConfigureAwait(false);
            var count = Interlocked.Read(ref received) - start;
            var cpu = broker.CpuSeconds() - cpuStart;
            var seconds = watch.Elapsed.TotalSeconds;
            await stop.CancelAsync().ConfigureAwait(false);
            return (count / seconds, cpuStart < 0 || count == 0 ? -1 : cpu / count * 1e6);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            foreach (var connection in connections)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
            await Task.WhenAll(loops).ConfigureAwait(false);
        }
    }

    private static async Task PublishLoopAsync(MqttLoadConnection pub, PublishBatch batch, Func<long> acked, Func<long> totalSent, Action<long> addSent,
        Func<long> receivedPerSubscriber, long window, CancellationToken ct)
    {
        const int BatchSize = 16;
        var buffer = new byte[batch.PacketLength * BatchSize];
        ushort nextId = 0;
        long mine = 0;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var qosWindowFull = batch.Qos != MqttQos.AtMostOnce && mine - acked() + BatchSize > Inflight;
                if (qosWindowFull || totalSent() - receivedPerSubscriber() > window)
                {
                    await Task.Delay(1, ct).ConfigureAwait(false);
                    continue;
                }
                var length = batch.Fill(buffer, BatchSize, ref nextId);
                await pub.SendAsync(buffer.AsMemory(0, length), ct).ConfigureAwait(false);
                mine += BatchSize;
                addSent(BatchSize);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or System.Net.Sockets.SocketException or ObjectDisposedException)
        {
        }
    }

    private static async Task<double> IdleRssAsync(bool ours, int clients, CancellationToken ct)
    {
        await using var broker = ours
            ? await BenchBroker.StartOursAsync(Inflight, Queued, ct).ConfigureAwait(false)
            : await BenchBroker.StartMosquittoAsync(Inflight, Queued, ct).ConfigureAwait(false);
        var connections = new List<MqttLoadConnection>(clients);
        try
        {
            for (var i = 0; i < clients; i += 100)
            {
                var tasks = new List<Task<MqttLoadConnection>>();
                for (var j = i; j < Math.Min(clients, i + 100); j++)
                {
                    tasks.Add(MqttLoadConnection.ConnectAsync(broker.Port, "idle" + j.ToString(CultureInfo.InvariantCulture), ct));
                }
                connections.AddRange(await Task.WhenAll(tasks).ConfigureAwait(false));
            }
            await Task.Delay(TimeSpan.FromSeconds(2), ct).ConfigureAwait(false);
            GC.KeepAlive(connections);
            return broker.RssMegabytes();
        }
        finally
        {
            foreach (var connection in connections)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
