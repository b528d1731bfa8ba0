using System.Diagnostics;
using System.Globalization;
using EdgeHub.Datasets;
using EdgeHub.Parquet.Tests;

namespace EdgeHub.Datasets.Tests;

public class CheckpointTests
{
    [Fact]
    public void CommitDelta_EveryTenCommits_WritesCheckpointThatReloadsTheSameState()
    {
        using var tmp = new TempStore();
        var store = new DatasetStore(tmp.Root, new DatasetStoreOptions { CheckpointInterval = 10 });
        var table = store.OpenOrCreate("eu", TempStore.Schema);
        for (long s = 1; s <= 25; s++) Assert.IsType<CommitResult.Committed>(TempStore.Send(store, "eu", $"edge-{s % 3}", (s + 2) / 3, 3));
        var log = Path.Combine(table.TablePath, "_delta_log");
        Assert.True(File.Exists(Path.Combine(log, "00000000000000000010.checkpoint.parquet")));
        Assert.True(File.Exists(Path.Combine(log, "00000000000000000020.checkpoint.parquet")));
        Assert.Contains("\"version\":20", File.ReadAllText(Path.Combine(log, "_last_checkpoint")), StringComparison.Ordinal);

        var expected = table.Snapshot();
        // Delta log cleanup: commits before the checkpoint go away; a fresh reader must rely on the checkpoint.
        for (var v = 1; v < 20; v++) File.Delete(Path.Combine(log, v.ToString("D20", CultureInfo.InvariantCulture) + ".json"));
        var reopened = new DatasetStore(tmp.Root).Open("eu");
        var snap = reopened.Snapshot();
        Assert.Equal(expected.Version, snap.Version);
        Assert.True(expected.Schema.SameAs(snap.Schema));
        Assert.Equal(expected.Files.Select(f => (f.Path, f.Size, f.Rows)).Order(), snap.Files.Select(f => (f.Path, f.Size, f.Rows)).Order());
        Assert.Equal(75, reopened.ReadRows().RowCount);
        for (var e = 0; e < 3; e++) Assert.Equal(table.LastSequence($"edge-{e}"), reopened.LastSequence($"edge-{e}"));
        Assert.IsType<CommitResult.Duplicate>(TempStore.Send(new DatasetStore(tmp.Root), "eu", "edge-1", 2, 3));
        Assert.IsType<CommitResult.Committed>(TempStore.Send(new DatasetStore(tmp.Root), "eu", "edge-1", 10, 3));
    }

    [Fact]
    public void DuckDb_ReadsCheckpoint_ActionsMatchTheSnapshot()
    {
        using var tmp = new TempStore();
        var store = new DatasetStore(tmp.Root, new DatasetStoreOptions { CheckpointInterval = 0 });
        var table = store.OpenOrCreate("eu", TempStore.Schema);
        for (long s = 1; s <= 7; s++) Assert.IsType<CommitResult.Committed>(TempStore.Send(store, "eu", s % 2 == 0 ? "edge-a" : "edge-b", (s + 1) / 2, 4));
        var version = table.Checkpoint();
        var cp = Path.Combine(table.TablePath, "_delta_log", version.ToString("D20", CultureInfo.InvariantCulture) + ".checkpoint.parquet");
        var results = NodePeer.DuckDb(
            $"SELECT \"add\".path AS path, \"add\".size AS size, \"add\".stats AS stats, cardinality(\"add\".partitionValues) AS pv FROM read_parquet('{cp}') WHERE \"add\" IS NOT NULL ORDER BY path",
            $"SELECT txn.appId AS app, txn.version AS v FROM read_parquet('{cp}') WHERE txn IS NOT NULL ORDER BY app",
            $"SELECT protocol.minReaderVersion AS r, protocol.minWriterVersion AS w FROM read_parquet('{cp}') WHERE protocol IS NOT NULL",
            $"SELECT metaData.schemaString AS s, metaData.format.provider AS p, len(metaData.partitionColumns) AS pc FROM read_parquet('{cp}') WHERE metaData IS NOT NULL");
        var snap = table.Snapshot();
        var adds = results[0];
        Assert.Equal(snap.Files.Count, adds.GetArrayLength());
        var files = snap.Files.OrderBy(f => f.Path, StringComparer.Ordinal).ToList();
        for (var i = 0; i < files.Count; i++)
        {
            Assert.Equal(files[i].Path, adds[i].GetProperty("path").GetString());
            Assert.Equal(files[i].Size, PeerValues.AsLong(adds[i].GetProperty("size")));
            Assert.Contains("\"numRecords\":4", adds[i].GetProperty("stats").GetString(), StringComparison.Ordinal);
            Assert.Equal(0, PeerValues.AsLong(adds[i].GetProperty("pv")));
        }
        Assert.Equal(2, results[1].GetArrayLength());
        Assert.Equal("edge-a", results[1][0].GetProperty("app").GetString());
        Assert.Equal(3, PeerValues.AsLong(results[1][0].GetProperty("v")));
        Assert.Equal(4, PeerValues.AsLong(results[1][1].GetProperty("v")));
        Assert.Equal(1, results[2][0].GetProperty("r").GetInt32());
        Assert.Equal(2, results[2][0].GetProperty("w").GetInt32());
        Assert.Contains("\"rmssd\"", results[3][0].GetProperty("s").GetString(), StringComparison.Ordinal);
        Assert.Equal("parquet", results[3][0].GetProperty("p").GetString());
        Assert.Equal(0, PeerValues.AsLong(results[3][0].GetProperty("pc")));
    }

    [Fact]
    public void Open_TenThousandCommitTable_LoadsFromCheckpointWithoutReplayingTheLog()
    {
        using var tmp = new TempStore();
        var store = new DatasetStore(tmp.Root, new DatasetStoreOptions { CheckpointInterval = 0 });
        var table = store.OpenOrCreate("eu", TempStore.Schema);
        // Synthesize 10,000 delta commits (add + txn + commitInfo) straight into the log, as a long-lived hub would leave it.
        var log = Path.Combine(table.TablePath, "_delta_log");
        var ts = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var total = Stopwatch.StartNew();
        for (var v = 1; v <= 10_000; v++)
        {
            var edge = $"edge-{v % 8}";
            var seq = (v + 7) / 8;
            var json =
                $"{{\"commitInfo\":{{\"timestamp\":{ts + v},\"operation\":\"WRITE\",\"edgehub\":{{\"deltaId\":\"d{v}\",\"edgeId\":\"{edge}\",\"sequence\":{seq},\"rows\":5,\"sha256\":\"00\"}}}}}}\n" +
                $"{{\"txn\":{{\"appId\":\"{edge}\",\"version\":{seq},\"lastUpdated\":{ts + v}}}}}\n" +
                $"{{\"add\":{{\"path\":\"part-{v:D6}.parquet\",\"partitionValues\":{{}},\"size\":1000,\"modificationTime\":{ts + v},\"dataChange\":true,\"stats\":\"{{\\\"numRecords\\\":5}}\"}}}}\n";
            File.WriteAllText(Path.Combine(log, v.ToString("D20", CultureInfo.InvariantCulture) + ".json"), json);
        }
        Console.WriteLine($"synthesized in {total.Elapsed.TotalMilliseconds:F0} ms");
        var sw = Stopwatch.StartNew();
        var replayed = new DatasetStore(tmp.Root).Open("eu").Snapshot();
        var replayTime = sw.Elapsed;
        Assert.Equal(10_000, replayed.Files.Count);
        Assert.Equal(50_000, replayed.RowCount);

        new DatasetStore(tmp.Root).Open("eu").Checkpoint();
        // Holes in the old log: a reader that replayed from version 0 would stop at version 0.
        for (var v = 1; v <= 10; v++) File.Delete(Path.Combine(log, v.ToString("D20", CultureInfo.InvariantCulture) + ".json"));
        sw.Restart();
        var fromCheckpoint = new DatasetStore(tmp.Root).Open("eu");
        var snap = fromCheckpoint.Snapshot();
        var checkpointTime = sw.Elapsed;
        Assert.Equal(10_000, snap.Version);
        Assert.Equal(10_000, snap.Files.Count);
        Assert.Equal(50_000, snap.RowCount);
        Assert.Equal(1250, fromCheckpoint.LastSequence("edge-0"));
        Console.WriteLine($"checkpoint load {checkpointTime.TotalMilliseconds:F0} ms vs replay {replayTime.TotalMilliseconds:F0} ms; total {total.Elapsed.TotalMilliseconds:F0} ms");
        Assert.True(checkpointTime < replayTime, $"checkpoint load {checkpointTime.TotalMilliseconds:F0} ms vs replay {replayTime.TotalMilliseconds:F0} ms");
    }
}
