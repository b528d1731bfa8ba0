using EdgeHub.Parquet.Tests;

namespace EdgeHub.Datasets.Tests;

public sealed class BranchTests : IDisposable
{
    private readonly TempStore _tmp = new();
    private readonly DatasetStore _store;
    private readonly DatasetBranches _branches;

    public BranchTests()
    {
        _store = new DatasetStore(_tmp.Root, new DatasetStoreOptions { CheckpointInterval = 4 });
        _store.OpenOrCreate("eu", BranchFixture.Schema);
        _branches = new DatasetBranches(_store, BranchFixture.Options);
    }

    public void Dispose() => _tmp.Dispose();

    private DeltaTable Main => _store.Open("eu");

    private static bool Relabel(Dictionary<string, object?> row, int label)
    {
        if ((string)row["device"]! == "edge-a/dev-1") row["label"] = label;
        return true;
    }

    [Fact]
    public void Create_AtVersion_CopiesNoDataFileAndEveryVersionReadsLikeTheParent()
    {
        for (long s = 1; s <= 5; s++) BranchFixture.Send(_store, "eu", "edge-a", s);
        var info = _branches.Create("eu", "main@3", "relabel");
        var branch = _branches.Table("eu", "relabel");

        Assert.Equal(3, info.BaseVersion);
        Assert.Equal(3, branch.LatestVersion);
        Assert.Empty(Directory.GetFiles(branch.TablePath, "*.parquet"));
        for (long v = 0; v <= 3; v++)
            Assert.Equal(BranchFixture.Rows(Main.ReadRows(v)), BranchFixture.Rows(branch.ReadRows(v)));
        Assert.Equal(50, Main.ReadRows().RowCount);
        Assert.Single(_branches.List("eu"), b => b.Name == "relabel" && b.Parent == "main");
        Assert.Throws<DatasetException>(() => _branches.Create("eu", "main", "relabel"));
    }

    [Fact]
    public void Append_ToBranch_MainUnchangedAndBranchTimeTravels()
    {
        BranchFixture.Send(_store, "eu", "edge-a", 1);
        _branches.Create("eu", "main", "sample");
        var (bytes, _) = BranchFixture.Delta("eu", "curator", 1, 7);
        var v = _branches.Append("eu", "sample", bytes);
        var branch = _branches.Table("eu", "sample");

        Assert.Equal(17, branch.ReadRows().RowCount);
        Assert.Equal(10, branch.ReadRows(v - 1).RowCount);
        Assert.Equal(10, Main.ReadRows().RowCount);
        Assert.Equal(1, Main.LatestVersion);
    }

    [Fact]
    public void Merge_MainHasNotMoved_FastForwardsAndSurvivesBranchDeletion()
    {
        for (long s = 1; s <= 3; s++) BranchFixture.Send(_store, "eu", "edge-a", s);
        _branches.Create("eu", "main", "relabel");
        Assert.NotNull(_branches.Rewrite("eu", "relabel", r => Relabel(r, 7)));
        var diff = _branches.Diff("eu", "main", "relabel");
        Assert.Equal(0, diff.RowsAdded);
        Assert.Equal(0, diff.RowsRemoved);
        // dev-1 is rows 1, 4, 7 of each of the 3 deltas; rows 1 and 7 had no label, row 4 had label 1.
        Assert.Equal(9, diff.RowsChanged);
        Assert.Equal(6, diff.LabelsAdded);
        Assert.Equal(3, diff.LabelsChanged);
        Assert.Equal(9, diff.ChangedKeys.Count);

        var result = _branches.Merge("eu", "relabel");
        Assert.Equal("fast-forward", result.Kind);
        Assert.Equal(4, Main.LatestVersion);
        _branches.Delete("eu", "relabel");
        var rows = Main.ReadRows();
        Assert.Equal(30, rows.RowCount);
        for (var r = 0; r < rows.RowCount; r++)
            if (rows.String(1)[r] == "edge-a/dev-1") Assert.Equal(7, rows.Int32(4)[r]);
        Assert.Equal(0, _branches.Diff("eu", "main@3", "main").RowsAdded);
    }

    [Fact]
    public void Merge_MainMoved_OneMergeCommitKeepsBothSides()
    {
        BranchFixture.Send(_store, "eu", "edge-a", 1);
        _branches.Create("eu", "main", "relabel");
        _branches.Rewrite("eu", "relabel", r => Relabel(r, 5));
        BranchFixture.Send(_store, "eu", "edge-a", 2);
        BranchFixture.Send(_store, "eu", "edge-b", 1);

        var result = _branches.Merge("eu", "relabel");

        Assert.Equal("merge", result.Kind);
        Assert.Equal(1, result.Commits);
        var rows = Main.ReadRows();
        Assert.Equal(30, rows.RowCount);
        var relabelled = 0;
        for (var r = 0; r < rows.RowCount; r++)
        {
            var fromBranch = rows.String(1)[r] == "edge-a/dev-1" && rows.Int64(0)[r] < 1_700_000_002_000_000L;
            var row = (int)(rows.Int64(0)[r] % 1_000_000);
            int? expected = fromBranch ? 5 : row % 2 == 0 ? row % 3 : null;
            Assert.Equal(expected, rows.Valid(4)[r] ? rows.Int32(4)[r] : null);
            if (fromBranch) relabelled++;
        }
        Assert.Equal(3, relabelled);
        Assert.Equal("up-to-date", _branches.Merge("eu", "relabel").Kind);
    }

    [Fact]
    public void Merge_BothSidesChangedSameRows_ConflictListsKeysAndWritesNothing()
    {
        BranchFixture.Send(_store, "eu", "edge-a", 1);
        _branches.Create("eu", "main", "relabel");
        _branches.Rewrite("eu", "relabel", r => Relabel(r, 5));
        _branches.Rewrite("eu", DatasetBranches.Main, r => Relabel(r, 6));
        var before = Main.LatestVersion;

        var e = Assert.Throws<MergeConflictException>(() => _branches.Merge("eu", "relabel"));

        Assert.Equal(3, e.Keys.Count); // rows 1, 4, 7 of the delta are edge-a/dev-1
        Assert.All(e.Keys, k => Assert.EndsWith("|edge-a/dev-1", k, StringComparison.Ordinal));
        Assert.Contains("changed on both sides", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, Main.LatestVersion);
        // The branch adopts main's value: now both sides agree, so the merge goes through.
        _branches.Rewrite("eu", "relabel", r => Relabel(r, 6));
        Assert.Equal("merge", _branches.Merge("eu", "relabel").Kind);
    }

    [Fact]
    public async Task Merge_WhileEdgesCommit_LosesNoDeltaAndKeepsBranchRows()
    {
        BranchFixture.Send(_store, "eu", "edge-a", 1);
        _branches.Create("eu", "main", "sample");
        var (bytes, _) = BranchFixture.Delta("eu", "curator", 1, 7);
        _branches.Append("eu", "sample", bytes);
        var other = new DatasetStore(_tmp.Root); // a second writer process, as far as the log is concerned
        var writer = Task.Run(() => { for (long s = 1; s <= 20; s++) BranchFixture.Send(other, "eu", "edge-b", s); });

        _branches.Merge("eu", "sample");
        await writer.WaitAsync(TimeSpan.FromMinutes(2));

        Assert.Equal(10 + 7 + 20 * 10, Main.ReadRows().RowCount);
        Assert.Equal(20, Main.LastSequence("edge-b"));
    }

    [Fact]
    public void Vacuum_MainRemovedFileTheBranchUses_KeepsIt()
    {
        BranchFixture.Send(_store, "eu", "edge-a", 1);
        _branches.Create("eu", "main", "keep");
        _branches.Rewrite("eu", DatasetBranches.Main, r => (string)r["device"]! != "edge-a/dev-0");

        var deleted = Main.Vacuum(TimeSpan.Zero);

        Assert.Empty(deleted);
        Assert.Equal(10, _branches.Table("eu", "keep").ReadRows().RowCount);
        Assert.Equal(6, Main.ReadRows().RowCount);
    }

    [Fact]
    public void DuckDb_ReplayingBranchLog_ReadsTheBranchAtEveryVersion()
    {
        for (long s = 1; s <= 3; s++) BranchFixture.Send(_store, "eu", "edge-a", s);
        _branches.Create("eu", "main@2", "curated");
        var (bytes, _) = BranchFixture.Delta("eu", "curator", 1, 7);
        _branches.Append("eu", "curated", bytes);
        _branches.Rewrite("eu", "curated", r => (string)r["device"]! != "edge-a/dev-2");
        var branch = _branches.Table("eu", "curated");
        var log = Path.Combine(branch.TablePath, "_delta_log");

        for (long v = 0; v <= branch.LatestVersion; v++)
        {
            var upTo = Path.Combine(log, $"{v:D20}.json");
            var replay =
                $"WITH log AS (SELECT * FROM read_json('{log}/*.json', format = 'newline_delimited', filename = true, " +
                "columns = {'add': 'STRUCT(path VARCHAR)', 'remove': 'STRUCT(path VARCHAR)'}) WHERE filename <= '" + upTo + "'), " +
                "actions AS (SELECT filename, \"add\".path AS path, 'add' AS kind FROM log WHERE \"add\" IS NOT NULL " +
                "UNION ALL SELECT filename, \"remove\".path AS path, 'remove' AS kind FROM log WHERE \"remove\" IS NOT NULL) " +
                "SELECT CASE WHEN path LIKE 'file://%' THEN substr(path, 8) ELSE '" + branch.TablePath + "/' || path END AS file " +
                "FROM (SELECT path, arg_max(kind, filename) AS kind FROM actions GROUP BY path) WHERE kind = 'add' ORDER BY file";
            var files = NodePeer.DuckDb(replay)[0].EnumerateArray().Select(r => r.GetProperty("file").GetString()!).ToList();
            var ours = branch.ReadRows(v);
            if (files.Count == 0)
            {
                Assert.Equal(0, ours.RowCount);
                continue;
            }
            var list = string.Join(", ", files.Select(f => $"'{f}'"));
            var rows = NodePeer.DuckDb($"SELECT epoch_us(ts) AS ts, label FROM read_parquet([{list}]) ORDER BY ts")[0];
            var theirs = rows.EnumerateArray().Select(r => (long.Parse(r.GetProperty("ts").ToString(), System.Globalization.CultureInfo.InvariantCulture),
                r.GetProperty("label").ValueKind == System.Text.Json.JsonValueKind.Null ? (int?)null : r.GetProperty("label").GetInt32())).ToList();
            Assert.Equal(BranchFixture.Rows(ours), theirs);
        }
    }
}
