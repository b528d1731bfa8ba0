using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeHub.Contracts;
using EdgeHub.Datasets;
using EdgeHub.Hub.Hosting;
using EdgeHub.Hub.Ingest;
using EdgeHub.Hub.Options;
using EdgeHub.Mqtt;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeHub.Bench;

/// <summary>
/// <c>./edgehub bench hub</c>: delta ingest on one hub node (SQLite catalog, embedded broker, local disk): deltas/s, MB/s and
/// rows/s committed over MQTT (edges publish QoS 1, the node acks each commit) and over HTTP PUT, beside the anchor: the
/// dataset store committing the same deltas directly (no transport, no catalog), i.e. the ceiling of the commit path.
/// </summary>
public static class HubBench
{
    private const string Token = "bench-operator-token-0123456789";

    /// <summary>Options: --edges N (4), --deltas N per edge (250), --rows N per delta (200).</summary>
    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(args);
        var edges = BenchSuite.IntArg(args, "--edges", 4);
        var perEdge = BenchSuite.IntArg(args, "--deltas", 250);
        var rows = BenchSuite.IntArg(args, "--rows", 200);
        var data = Path.Combine(Path.GetTempPath(), "ehub-hubbench-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var deltas = new List<HubBenchDelta>[edges];
            for (var e = 0; e < edges; e++)
            {
                deltas[e] = [.. Enumerable.Range(1, perEdge).Select(s => HubBenchData.Create($"e{e + 1}", s, rows))];
            }

            var total = edges * perEdge;
            var bytes = deltas.Sum(list => list.Sum(d => (long)d.Bytes.Length));
            Console.WriteLine($"hub ingest: {edges} edges x {perEdge} deltas x {rows} rows ({bytes / (double)total / 1024:0.0} KB per delta, Snappy); one node, SQLite catalog, local disk");

            var anchor = MeasureStore(Path.Combine(data, "store"), deltas);
            var mqtt = await MeasureMqttAsync(Path.Combine(data, "mqtt"), deltas, ct).ConfigureAwait(false);
            var http = await MeasureHttpAsync(Path.Combine(data, "http"), deltas, ct).ConfigureAwait(false);

            Console.WriteLine($"{"path",-28} {"deltas/s",10} {"MB/s",8} {"rows/s",10}");
            JsonObject Row(string name, double seconds)
            {
                var dps = total / seconds;
                var mbps = bytes / seconds / (1024 * 1024);
                Console.WriteLine($"{name,-28} {dps,10:N0} {mbps,8:0.00} {dps * rows,10:N0}");
                return new JsonObject { ["deltas_per_s"] = Math.Round(dps, 1), ["mb_per_s"] = Math.Round(mbps, 2), ["rows_per_s"] = Math.Round(dps * rows) };
            }

            var json = new JsonObject
            {
                ["bench"] = "hub",
                ["edges"] = edges,
                ["deltas"] = total,
                ["rows_per_delta"] = rows,
                ["bytes_per_delta"] = bytes / total,
                ["mqtt"] = Row("hub node, MQTT (QoS 1 + ack)", mqtt),
                ["http"] = Row("hub node, HTTP PUT", http),
                ["store_direct"] = Row("anchor: DatasetStore direct", anchor),
            };
            json["mqtt_vs_store"] = Math.Round(anchor / mqtt, 3);
            Console.WriteLine($"MQTT ingest reaches {anchor / mqtt:P0} of the direct commit rate");
            BenchResult.Write("hub", json, Console.Out);
            return 0;
        }
        finally
        {
            if (Directory.Exists(data))
            {
                Directory.Delete(data, true);
            }
        }
    }

    private static double MeasureStore(string root, List<HubBenchDelta>[] deltas)
    {
        var store = new DatasetStore(root);
        store.OpenOrCreate("eu", DeltaFileFormat.Schema);
        var clock = Stopwatch.StartNew();
        Parallel.For(0, deltas.Length, e =>
        {
            foreach (var d in deltas[e])
            {
                var r = store.CommitDelta("eu", d.EdgeId, d.Sequence, d.Bytes, new DeltaManifest(d.DeltaId, "eu", d.EdgeId, d.Sequence, d.Rows, d.Sha256));
                if (r is not CommitResult.Committed)
                {
                    throw new InvalidOperationException($"direct commit of {d.DeltaId} answered {r}");
                }
            }
        });
        return clock.Elapsed.TotalSeconds;
    }

    private static async Task<WebApplication> StartHubAsync(string root, int edges, CancellationToken ct)
    {
        var options = new HubOptions { NodeId = "bench", DataRoot = root, Regions = ["eu"], Broker = { Port = 0 }, Learning = { Enabled = false } };
        options.Api.Tokens[Token] = Roles.Operator;
        for (var e = 1; e <= edges; e++)
        {
            options.Edges[$"e{e}"] = "eu";
        }

        options.Resolve();
        var app = HubApp.Build(options, b => b.WebHost.UseUrls("http://127.0.0.1:0"));
        await app.StartAsync(ct).ConfigureAwait(false);
        await app.Services.GetRequiredService<HubMqttService>().Connected.WaitAsync(TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
        return app;
    }

    private static async Task<double> MeasureMqttAsync(string root, List<HubBenchDelta>[] deltas, CancellationToken ct)
    {
        var app = await StartHubAsync(root, deltas.Length, ct).ConfigureAwait(false);
        await using (app.ConfigureAwait(false))
        {
            var port = app.Services.GetRequiredService<HubMqttService>().EmbeddedBrokerPort;
            var committed = 0;
            var failures = new ConcurrentQueue<string>();
            var allDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var total = deltas.Sum(d => d.Count);
            var clients = new List<MqttClient>();
            foreach (var list in deltas)
            {
                var client = new MqttClient(new MqttClientOptions { Port = port, ClientId = "bench-" + list[0].EdgeId });
                client.MessageReceived = (m, _) =>
                {
                    var ack = JsonSerializer.Deserialize(m.Payload.Span, ContractsJson.Default.DeltaAck)!;
                    if (ack.Status != "committed")
                    {
                        failures.Enqueue($"{ack.DeltaId}: {ack.Status} {ack.Reason}");
                        allDone.TrySetResult();
                    }
                    else if (Interlocked.Increment(ref committed) == total)
                    {
                        allDone.TrySetResult();
                    }

                    return ValueTask.CompletedTask;
                };
                await client.ConnectAsync(ct).ConfigureAwait(false);
                await client.SubscribeAsync(Topics.Acks(list[0].EdgeId), MqttQos.AtLeastOnce, ct).ConfigureAwait(false);
                clients.Add(client);
            }

            var clock = Stopwatch.StartNew();
            await Task.WhenAll(deltas.Select(async (list, i) =>
            {
                foreach (var d in list)
                {
                    await clients[i].PublishAsync(new MqttApplicationMessage
                    {
                        Topic = Topics.Delta("eu", d.EdgeId), Payload = d.Bytes, Qos = MqttQos.AtLeastOnce, UserProperties = d.Properties(),
                        ContentType = ContentTypes.Parquet,
                    }, ct).ConfigureAwait(false);
                }
            })).ConfigureAwait(false);
            await allDone.Task.WaitAsync(TimeSpan.FromMinutes(10), ct).ConfigureAwait(false);
            var seconds = clock.Elapsed.TotalSeconds;
            foreach (var c in clients)
            {
                await c.DisposeAsync().ConfigureAwait(false);
            }

            return failures.TryPeek(out var f) ? throw new InvalidOperationException("MQTT ingest refused a delta: " + f) : seconds;
        }
    }

    private static async Task<double> MeasureHttpAsync(string root, List<HubBenchDelta>[] deltas, CancellationToken ct)
    {
        var app = await StartHubAsync(root, deltas.Length, ct).ConfigureAwait(false);
        await using (app.ConfigureAwait(false))
        {
            using var http = new HttpClient { BaseAddress = new Uri(HubApp.Addresses(app)[0]) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(deltas.Select(async list =>
            {
                foreach (var d in list)
                {
                    using var content = new ByteArrayContent(d.Bytes);
                    using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/deltas/eu/{d.EdgeId}/{d.Sequence.ToString(CultureInfo.InvariantCulture)}") { Content = content };
                    foreach (var (k, v) in d.Properties())
                    {
                        request.Headers.TryAddWithoutValidation(k, v);
                    }

                    using var response = await http.SendAsync(request, ct).ConfigureAwait(false);
                    if (!response.IsSuccessStatusCode)
                    {
                        throw new InvalidOperationException($"HTTP ingest of {d.DeltaId}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false)}");
                    }
                }
            })).ConfigureAwait(false);
            return clock.Elapsed.TotalSeconds;
        }
    }
}
