using System.Net.Http.Json;
using EdgeHub.Contracts;
using EdgeHub.Datasets;
using EdgeHub.Hub.Catalog;
using EdgeHub.Hub.Tests.Support;
using EdgeHub.Testing;

namespace EdgeHub.Hub.Tests.Ingest;

/// <summary>Delta ingest over MQTT into one in-process node (SQLite catalog, embedded broker).</summary>
public sealed class MqttIngestTests : IAsyncLifetime
{
    private TestHub _hub = null!;

    public async Task InitializeAsync()
    {
        _hub = await TestHub.StartAsync(o =>
        {
            o.Edges["e1"] = "eu";
            o.Edges["e2"] = "na";
        });
    }

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    [Fact]
    public async Task Ingest_DeltasWithResends_EveryRowOnceAndAcked()
    {
        await using var edge = await SimEdge.ConnectAsync("e1", "eu", _hub.MqttPort);
        var deltas = Enumerable.Range(1, 6).Select(s => DeltaFactory.Create("e1", s, 20 + s)).ToList();
        foreach (var d in deltas)
        {
            await edge.SendAsync(d);
        }

        await edge.SendAsync(deltas[1]);
        await edge.SendAsync(deltas[4]);
        foreach (var d in deltas)
        {
            var ack = await edge.WaitAckAsync(d.Sequence, a => a.Status is "committed" or "duplicate");
            Assert.Equal(d.DeltaId, ack.DeltaId);
            Assert.NotNull(ack.DatasetVersion);
            Assert.Equal(_hub.Options.NodeId, ack.HubNode);
        }

        await Eventually.TrueAsync(() => edge.AckLog.Count(a => a.Status == "duplicate") == 2, TimeSpan.FromSeconds(20), "two duplicate acks");
        var table = _hub.Get<DatasetStore>().Open("eu");
        var rows = table.ReadRows();
        Assert.Equal(deltas.Sum(d => d.Rows), rows.RowCount);
        var ids = rows.String(DeltaSchema.IndexOf("window_id")).Take(rows.RowCount).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());

        var catalog = _hub.Get<HubCatalog>();
        var versions = await catalog.ListVersionsAsync("eu", 0, long.MaxValue, 100, CancellationToken.None);
        Assert.Equal(deltas.Select(d => d.Sequence), versions.Select(v => v.Sequence));
        Assert.Equal(deltas.Sum(d => d.LabelledRows), versions.Sum(v => v.LabelledRows));
    }

    [Fact]
    public async Task Ingest_DeltaOnOtherRegionsTopic_RejectedAsResidencyViolation()
    {
        await using var edge = await SimEdge.ConnectAsync("e1", "eu", _hub.MqttPort);
        var d = DeltaFactory.Create("e1", 1, 10);
        await edge.SendAsync(d, region: "na");
        var ack = await edge.WaitAckAsync(1);
        Assert.Equal("rejected", ack.Status);
        Assert.Contains("residency violation", ack.Reason, StringComparison.Ordinal);
        Assert.Contains("'eu'", ack.Reason, StringComparison.Ordinal);
        Assert.Equal(0, _hub.Get<DatasetStore>().Open("na").Snapshot().RowCount);

        var rejections = await _hub.Viewer.GetFromJsonAsync<List<RejectionRecord>>("/api/v1/edges/e1/rejections");
        Assert.Contains(rejections!, r => r.Reason.Contains("residency", StringComparison.Ordinal) && r.Region == "na");
    }

    [Fact]
    public async Task Ingest_CorruptPayload_RejectedWithSha256Reason()
    {
        await using var edge = await SimEdge.ConnectAsync("e1", "eu", _hub.MqttPort);
        var d = DeltaFactory.Create("e1", 1, 10);
        var corrupt = (byte[])d.Bytes.Clone();
        corrupt[corrupt.Length / 2] ^= 0x5a;
        await edge.SendAsync(d, payload: corrupt);
        var ack = await edge.WaitAckAsync(1);
        Assert.Equal("rejected", ack.Status);
        Assert.Contains("SHA-256 mismatch", ack.Reason, StringComparison.Ordinal);

        // The good copy afterwards commits normally.
        await edge.SendAsync(d);
        Assert.Equal("committed", (await edge.WaitAckAsync(1, a => a.Status == "committed")).Status);
    }

    [Fact]
    public async Task Ingest_BrokenParquetWithMatchingSha_RejectedWithParquetReason()
    {
        await using var edge = await SimEdge.ConnectAsync("e1", "eu", _hub.MqttPort);
        var d = DeltaFactory.Create("e1", 1, 10);
        var broken = d.Bytes[..(d.Bytes.Length - 9)];
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(broken));
        var props = d.Properties().Select(p => p.Key == DeltaProperties.Sha256 ? new KeyValuePair<string, string>(p.Key, sha) : p).ToList();
        await edge.SendAsync(d, payload: broken, properties: props);
        var ack = await edge.WaitAckAsync(1);
        Assert.Equal("rejected", ack.Status);
        Assert.Contains("Parquet", ack.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ingest_MissingOrBadManifest_RejectedNamingTheProperty()
    {
        await using var edge = await SimEdge.ConnectAsync("e1", "eu", _hub.MqttPort);
        var d = DeltaFactory.Create("e1", 3, 5);
        var noRows = d.Properties().Where(p => p.Key != DeltaProperties.Rows).ToList();
        await edge.SendAsync(d, properties: noRows);
        var ack = await edge.WaitAckAsync(3);
        Assert.Equal("rejected", ack.Status);
        Assert.Contains("'rows'", ack.Reason, StringComparison.Ordinal);

        var wrongRows = d.Properties().Select(p => p.Key == DeltaProperties.Rows ? new KeyValuePair<string, string>(p.Key, "6") : p).ToList();
        edge.Acks.Clear();
        await edge.SendAsync(d, properties: wrongRows);
        ack = await edge.WaitAckAsync(3);
        Assert.Equal("rejected", ack.Status);
        Assert.Contains("6 rows", ack.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ingest_UnregisteredEdge_RejectedWithHowToRegister()
    {
        await using var edge = await SimEdge.ConnectAsync("stranger", "eu", _hub.MqttPort);
        await edge.SendAsync(DeltaFactory.Create("stranger", 1, 5));
        var ack = await edge.WaitAckAsync(1);
        Assert.Equal("rejected", ack.Status);
        Assert.Contains("not registered", ack.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ingest_OutOfOrder_HeldUntilGapFills()
    {
        await using var edge = await SimEdge.ConnectAsync("e2", "na", _hub.MqttPort);
        var d1 = DeltaFactory.Create("e2", 1, 5);
        var d2 = DeltaFactory.Create("e2", 2, 6);
        var d3 = DeltaFactory.Create("e2", 3, 7);
        await edge.SendAsync(d3);
        var held = await edge.WaitAckAsync(3);
        Assert.Equal("held", held.Status);
        Assert.Contains("resend from 1", held.Reason, StringComparison.Ordinal);
        await edge.SendAsync(d1);
        await edge.WaitAckAsync(1, a => a.Status == "committed");
        await edge.SendAsync(d2);
        await edge.WaitAckAsync(2, a => a.Status == "committed");
        await edge.SendAsync(d3);
        await edge.WaitAckAsync(3, a => a.Status is "committed" or "duplicate");
        Assert.Equal(18, _hub.Get<DatasetStore>().Open("na").ReadRows().RowCount);
    }

    [Fact]
    public async Task Status_AutoRegisterOff_UnknownEdgeStaysUnregistered()
    {
        await using var edge = await SimEdge.ConnectAsync("e1", "eu", _hub.MqttPort);
        await edge.SendStatusAsync(new EdgeStatus { EdgeId = "e1", Region = "eu", Online = true, QueueDepth = 4, ModelVersion = "m7" });
        var catalog = _hub.Get<HubCatalog>();
        EdgeRecord? record = null;
        await Eventually.TrueAsync(() => (record = catalog.GetEdgeAsync("e1", CancellationToken.None).Result) is { Online: true },
            TimeSpan.FromSeconds(20), "status stored");
        Assert.Equal(4, record!.QueueDepth);
        Assert.Equal("m7", record.ModelVersion);

        await using var stranger = await SimEdge.ConnectAsync("newcomer", "eu", _hub.MqttPort);
        await stranger.SendStatusAsync(new EdgeStatus { EdgeId = "newcomer", Region = "eu", Online = true });
        await edge.SendStatusAsync(new EdgeStatus { EdgeId = "e1", Region = "eu", Online = true, QueueDepth = 9 });
        await Eventually.TrueAsync(() => catalog.GetEdgeAsync("e1", CancellationToken.None).Result!.QueueDepth == 9,
            TimeSpan.FromSeconds(20), "later status stored");
        Assert.Null(await catalog.GetEdgeAsync("newcomer", CancellationToken.None));
    }
}
