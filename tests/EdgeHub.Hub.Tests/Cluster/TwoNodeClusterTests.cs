using System.Text.Json.Nodes;
using EdgeHub.Contracts;
using EdgeHub.Datasets;
using EdgeHub.Hub.Catalog;
using EdgeHub.Hub.Options;
using EdgeHub.Hub.Tests.Fixtures;
using EdgeHub.Hub.Tests.Support;
using EdgeHub.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeHub.Hub.Tests.Cluster;

/// <summary>
/// The scale-out acceptance test: two hub node processes on one PostgreSQL catalog, one data root and one mosquitto,
/// three edges × 200 deltas with shuffled order and resends; one node is SIGKILLed mid-run and restarted.
/// </summary>
[Collection("postgres")]
public sealed class TwoNodeClusterTests(PostgresCluster postgres, Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private const int DeltasPerEdge = 200;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ehub-cluster-" + Guid.NewGuid().ToString("N")[..10]);
    private readonly List<IAsyncDisposable> _cleanup = [];

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        for (var i = _cleanup.Count - 1; i >= 0; i--)
        {
            await _cleanup[i].DisposeAsync();
        }

        Directory.Delete(_dir, true);
    }

    [Fact]
    public async Task TwoNodes_ShuffledResentDeltasAndNodeKilled_EveryRowExactlyOnceInItsRegion()
    {
        var connection = await postgres.CreateDatabaseAsync();
        var broker = await Mosquitto.StartAsync();
        _cleanup.Add(broker);
        var data = Path.Combine(_dir, "data");
        var nodeA = StartNode("node-a", connection, broker.Port, data);
        var nodeB = StartNode("node-b", connection, broker.Port, data);
        await Task.WhenAll(nodeA.WaitReadyAsync(TimeSpan.FromSeconds(90)), nodeB.WaitReadyAsync(TimeSpan.FromSeconds(90)));

        var regions = new Dictionary<string, string> { ["e1"] = "eu", ["e2"] = "eu", ["e3"] = "na" };
        var edges = new List<ResendingEdge>();
        foreach (var (edgeId, region) in regions)
        {
            var sim = await SimEdge.ConnectAsync(edgeId, region, broker.Port);
            _cleanup.Add(sim);
            var deltas = Enumerable.Range(1, DeltasPerEdge).Select(s => DeltaFactory.Create(edgeId, s, 3 + (s % 11))).ToList();
            edges.Add(new ResendingEdge(sim, deltas, seed: edgeId.GetHashCode(StringComparison.Ordinal)));
        }

        // Residency and corruption are refused with the reason, on the cluster too.
        var e3 = edges[2].Edge;
        var stray = DeltaFactory.Create("e3", 1, 4);
        await e3.SendAsync(stray, region: "eu");
        var residency = await e3.WaitAckAsync(1);
        Assert.Equal("rejected", residency.Status);
        Assert.Contains("residency violation", residency.Reason, StringComparison.Ordinal);
        e3.Acks.Clear();
        var corrupt = (byte[])stray.Bytes.Clone();
        corrupt[^20] ^= 0xff;
        await e3.SendAsync(stray, payload: corrupt);
        var rejected = await e3.WaitAckAsync(1);
        Assert.Equal("rejected", rejected.Status);
        Assert.Contains("SHA-256 mismatch", rejected.Reason, StringComparison.Ordinal);
        e3.Acks.Clear();

        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var total = edges.Count * DeltasPerEdge;
        var run = Task.WhenAll(edges.Select(e => e.RunAsync(TimeSpan.FromMinutes(4), cts.Token)));

        await Eventually.TrueAsync(() => run.IsFaulted || edges.Sum(e => e.CountDone()) >= total / 3, TimeSpan.FromMinutes(2),
            "a third of the deltas committed before the kill");
        output.WriteLine($"{clock.Elapsed}: killing node A at {edges.Sum(e => e.CountDone())} done");
        nodeA.Kill();
        var atKill = edges.Sum(e => e.CountDone());
        await Eventually.TrueAsync(() => run.IsFaulted || edges.Sum(e => e.CountDone()) >= atKill + (total / 6), TimeSpan.FromMinutes(2),
            "node B carries on alone: progress after the kill");
        Assert.False(run.IsFaulted, run.Exception?.ToString());
        output.WriteLine($"{clock.Elapsed}: restarting node A at {edges.Sum(e => e.CountDone())} done");
        nodeA.Start();
        await nodeA.WaitReadyAsync(TimeSpan.FromSeconds(90));
        await Eventually.TrueAsync(() => run.IsCompleted || edges.Any(e => e.Edge.AckLog.Any(a => a.HubNode == "node-a" && a.Status == "committed")),
            TimeSpan.FromMinutes(2), "restarted node A commits again");
        output.WriteLine($"{clock.Elapsed}: node A ready and committing at {edges.Sum(e => e.CountDone())} done");
        await run;
        output.WriteLine($"{clock.Elapsed}: all done; sends {edges.Sum(e => e.Sends)}, resends {edges.Sum(e => e.Resends)}");

        // Every row exactly once, in its own region, and the counts equal what the edges sent.
        var store = new DatasetStore(Path.Combine(data, "datasets"));
        foreach (var region in new[] { "eu", "na" })
        {
            var sent = edges.Where(e => e.Edge.Region == region).SelectMany(e => e.Deltas).ToList();
            var rows = store.Open(region).ReadRows();
            Assert.Equal(sent.Sum(d => d.Rows), rows.RowCount);
            var ids = rows.String(DeltaSchema.IndexOf("window_id")).Take(rows.RowCount).ToHashSet();
            Assert.Equal(rows.RowCount, ids.Count);
            var edgeColumn = rows.String(DeltaSchema.IndexOf("edge_id")).Take(rows.RowCount);
            Assert.All(edgeColumn, id => Assert.Equal(region, regions[id!]));
            foreach (var d in sent)
            {
                for (var r = 0; r < d.Rows; r++)
                {
                    Assert.Contains($"{d.EdgeId}-{d.Sequence}-{r}", ids);
                }
            }
        }

        // The catalog's commit log agrees with the datasets (the restarted node filled any gap the kill left).
        var catalogDb = CatalogDb.Create(new CatalogOptions { Provider = "postgres", ConnectionString = connection }, _dir);
        await using (catalogDb)
        {
            var catalog = new HubCatalog(catalogDb, NullLogger<HubCatalog>.Instance);
            foreach (var e in edges)
            {
                var byEdge = await catalog.CommitsByEdgeAsync(e.Edge.Region, CancellationToken.None);
                var mine = byEdge.Single(x => x.EdgeId == e.Edge.EdgeId);
                Assert.Equal(DeltasPerEdge, mine.Commits);
                Assert.Equal(e.Deltas.Sum(d => d.Rows), mine.Rows);
            }
        }

        Assert.True(edges.Sum(e => e.Resends) > 0);
        Assert.Contains(edges.SelectMany(e => e.Edge.AckLog), a => a.Status == "duplicate");
        Assert.Contains(edges.SelectMany(e => e.Edge.AckLog), a => a.HubNode == "node-b");
    }

    private HubNodeProcess StartNode(string name, string connection, int brokerPort, string data)
    {
        var config = new JsonObject
        {
            ["NodeId"] = name,
            ["DataRoot"] = data,
            ["Regions"] = new JsonArray("eu", "na"),
            ["Edges"] = new JsonObject { ["e1"] = "eu", ["e2"] = "eu", ["e3"] = "na" },
            ["Catalog"] = new JsonObject { ["Provider"] = "postgres", ["ConnectionString"] = connection },
            ["Broker"] = new JsonObject { ["Mode"] = "external", ["Host"] = "127.0.0.1", ["Port"] = brokerPort },
            ["Api"] = new JsonObject { ["Tokens"] = new JsonObject { [TestHub.OperatorToken] = "operator" } },
            ["Learning"] = new JsonObject { ["Enabled"] = false },
        };
        var file = Path.Combine(_dir, name + ".json");
        File.WriteAllText(file, config.ToJsonString());
        var node = new HubNodeProcess(name, file, Mosquitto.FreePort(), _dir);
        _cleanup.Add(node);
        node.Start();
        return node;
    }
}
