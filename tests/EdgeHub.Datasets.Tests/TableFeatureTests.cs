using EdgeHub.Datasets;
using EdgeHub.Parquet;
using EdgeHub.Parquet.Tests;

namespace EdgeHub.Datasets.Tests;

public class TableFeatureTests
{
    private static readonly ParquetSchema Evolved = new([.. TempStore.Schema.Fields, new ParquetField("spo2", ParquetType.Double, true)]);

    [Fact]
    public void OpenOrCreate_AppendedNullableColumn_EvolvesAndOldRowsReadNull()
    {
        using var tmp = new TempStore();
        var store = new DatasetStore(tmp.Root);
        store.OpenOrCreate("eu", TempStore.Schema);
        Assert.IsType<CommitResult.Committed>(TempStore.Send(store, "eu", "edge-a", 1, 4));
        var table = store.OpenOrCreate("eu", Evolved);
        Assert.Equal(2, table.LatestVersion);
        Assert.True(table.Schema.SameAs(Evolved));
        // An edge still on the old schema keeps sending; one on the new schema sends the extra column.
        Assert.IsType<CommitResult.Committed>(TempStore.Send(store, "eu", "edge-a", 2, 4));
        var (bytes, m) = TempStore.Delta("eu", "edge-b", 1, 4, Evolved);
        Assert.IsType<CommitResult.Committed>(store.CommitDelta("eu", "edge-b", 1, bytes, m));
        var rows = table.ReadRows();
        Assert.Equal(12, rows.RowCount);
        var spo2 = rows.Schema.GetIndex("spo2");
        Assert.Equal(8, Enumerable.Range(0, 12).Count(r => rows.IsNull(spo2, r)));
        // Time travel to before the evolution gives the old schema.
        Assert.True(table.Snapshot(1).Schema.SameAs(TempStore.Schema));
        Assert.Equal(5, table.ReadRows(version: 1).Schema.Fields.Count);
    }

    [Theory]
    [InlineData("drop")]
    [InlineData("retype")]
    [InlineData("required")]
    [InlineData("reorder")]
    public void OpenOrCreate_IncompatibleSchemaChange_ThrowsSayingWhy(string change)
    {
        using var tmp = new TempStore();
        var store = new DatasetStore(tmp.Root);
        store.OpenOrCreate("eu", TempStore.Schema);
        var f = TempStore.Schema.Fields.ToList();
        ParquetSchema next = change switch
        {
            "drop" => new([.. f.Take(4)]),
            "retype" => new([f[0], f[1], new ParquetField("hr", ParquetType.Double), f[3], f[4]]),
            "required" => new([.. f, new ParquetField("x", ParquetType.Int32)]),
            _ => new([f[1], f[0], f[2], f[3], f[4]]),
        };
        var e = Assert.Throws<DatasetException>(() => store.OpenOrCreate("eu", next));
        var expected = change switch { "drop" => "dropped", "retype" => "change type", "required" => "must be nullable", _ => "move" };
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Equal(0, store.Open("eu").LatestVersion);
    }

    [Fact]
    public void SnapshotAsOf_Timestamps_SelectNewestVersionAtOrBefore()
    {
        using var tmp = new TempStore();
        var clock = new ManualClock(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var store = new DatasetStore(tmp.Root, new DatasetStoreOptions { Clock = clock });
        var table = store.OpenOrCreate("eu", TempStore.Schema);
        for (long s = 1; s <= 5; s++)
        {
            clock.Now += TimeSpan.FromMinutes(10);
            Assert.IsType<CommitResult.Committed>(TempStore.Send(store, "eu", "edge-a", s, 2));
        }
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        Assert.Equal(0, table.SnapshotAsOf(t0.AddMinutes(5)).Version);
        Assert.Equal(3, table.SnapshotAsOf(t0.AddMinutes(30)).Version);
        Assert.Equal(3, table.SnapshotAsOf(t0.AddMinutes(39)).Version);
        Assert.Equal(5, table.SnapshotAsOf(t0.AddDays(1)).Version);
        Assert.Equal(6, table.SnapshotAsOf(t0.AddMinutes(30)).RowCount);
        Assert.Throws<ArgumentOutOfRangeException>(() => table.SnapshotAsOf(t0.AddDays(-1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => table.Snapshot(99));
        var history = table.History().ToList();
        Assert.Equal(6, history.Count);
        Assert.Equal("CREATE TABLE", history[0].Operation);
        Assert.Equal("edge-a-3", history[3].DeltaId);
        Assert.Equal(2, history[3].Rows);
    }

    [Fact]
    public void Vacuum_RespectsRetentionAndKeepsLiveFiles()
    {
        using var tmp = new TempStore();
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var store = new DatasetStore(tmp.Root, new DatasetStoreOptions { Clock = clock });
        var table = store.OpenOrCreate("eu", TempStore.Schema);
        Assert.IsType<CommitResult.Committed>(TempStore.Send(store, "eu", "edge-a", 1, 2));
        var orphan = Path.Combine(table.TablePath, "part-orphan.parquet");
        File.WriteAllBytes(orphan, [1, 2, 3]);
        Assert.Empty(table.Vacuum(TimeSpan.FromHours(1)));
        Assert.True(File.Exists(orphan));
        clock.Now += TimeSpan.FromHours(2);
        Assert.Equal(["part-orphan.parquet"], table.Vacuum(TimeSpan.FromHours(1)));
        Assert.False(File.Exists(orphan));
        Assert.Equal(2, table.ReadRows().RowCount);
    }

    [Fact]
    public void DuckDb_ReplayingDeltaLog_ReadsExactlyTheCommittedRows()
    {
        using var tmp = new TempStore();
        var store = new DatasetStore(tmp.Root);
        store.OpenOrCreate("eu", TempStore.Schema);
        for (long s = 1; s <= 6; s++) Assert.IsType<CommitResult.Committed>(TempStore.Send(store, "eu", "edge-a", s, 5 + (int)s));
        Assert.IsType<CommitResult.Duplicate>(TempStore.Send(store, "eu", "edge-a", 3, 8));
        var table = store.OpenOrCreate("eu", Evolved);
        var (bytes, m) = TempStore.Delta("eu", "edge-b", 1, 7, Evolved);
        Assert.IsType<CommitResult.Committed>(store.CommitDelta("eu", "edge-b", 1, bytes, m));
        File.WriteAllBytes(Path.Combine(table.TablePath, "part-orphan-of-a-crash.parquet"), File.ReadAllBytes(Directory.GetFiles(table.TablePath, "part-edge-b*")[0]));
        // Another Delta writer (say, a compaction job) removes edge-a's second file: both replays must drop it.
        var removed = table.Snapshot().Files.Single(f => f.AddedInVersion == 2).Path;
        var removeCommit = "{\"commitInfo\":{\"timestamp\":" + (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 10) + ",\"operation\":\"DELETE\"}}\n" +
            "{\"remove\":{\"path\":\"" + removed + "\",\"deletionTimestamp\":1,\"dataChange\":true}}\n";
        File.WriteAllText(Path.Combine(table.TablePath, "_delta_log", $"{table.LatestVersion + 1:D20}.json"), removeCommit);
        Assert.DoesNotContain(table.Snapshot().Files, f => f.Path == removed);

        var log = Path.Combine(table.TablePath, "_delta_log", "*.json");
        var replay =
            $"WITH log AS (SELECT * FROM read_json('{log}', format = 'newline_delimited', filename = true, " +
            "columns = {'add': 'STRUCT(path VARCHAR)', 'remove': 'STRUCT(path VARCHAR)'})), " +
            "actions AS (SELECT filename, \"add\".path AS path, 'add' AS kind FROM log WHERE \"add\" IS NOT NULL " +
            "UNION ALL SELECT filename, \"remove\".path AS path, 'remove' AS kind FROM log WHERE \"remove\" IS NOT NULL) " +
            "SELECT path FROM (SELECT path, arg_max(kind, filename) AS kind FROM actions GROUP BY path) WHERE kind = 'add' ORDER BY path";
        var paths = NodePeer.DuckDb(replay)[0].EnumerateArray().Select(r => r.GetProperty("path").GetString()!).ToList();
        Assert.Equal(table.Snapshot().Files.Select(f => f.Path).Order(StringComparer.Ordinal), paths);
        var list = string.Join(", ", paths.Select(p => $"'{Path.Combine(table.TablePath, p)}'"));
        var rows = NodePeer.DuckDb($"SELECT ts, device, hr, rmssd, label, spo2 FROM read_parquet([{list}], union_by_name = true) ORDER BY ts")[0];

        var ours = table.ReadRows();
        var order = Enumerable.Range(0, ours.RowCount).OrderBy(r => ours.Int64(0)[r]).ToList();
        Assert.Equal(ours.RowCount, rows.GetArrayLength());
        Assert.Equal(6 * 5 + 21 + 7 - 7, ours.RowCount);
        for (var i = 0; i < order.Count; i++)
            for (var c = 0; c < ours.Schema.Fields.Count; c++)
            {
                var f = ours.Schema.Fields[c];
                PeerValues.AssertEqual(f.Type, ours.GetValue(c, order[i]), rows[i].GetProperty(f.Name), $"row {i} column {f.Name}");
            }
    }

    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
