using System.Text;

namespace EdgeHub.Datasets.Tests;

public sealed class ErasureTests : IDisposable
{
    private readonly TempStore _tmp = new();

    public void Dispose() => _tmp.Dispose();



    private static Dictionary<string, int> CountByPatient(EdgeHub.Parquet.ColumnBatch b)
    {
        var d = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var r = 0; r < b.RowCount; r++) d[b.String(2)[r]!] = d.GetValueOrDefault(b.String(2)[r]!) + 1;
        return d;
    }

    [Fact]
    public void Erase_PseudonymInMainBranchAndCheckpoints_NoFileUnderRootHoldsItAndOthersKeepTheirRows()
    {
        var store = new DatasetStore(_tmp.Root, new DatasetStoreOptions { CheckpointInterval = 2 });
        store.OpenOrCreate("eu", BranchFixture.Schema);
        var branches = new DatasetBranches(store, BranchFixture.Options);
        for (long s = 1; s <= 5; s++) BranchFixture.Send(store, "eu", "edge-a", s);
        branches.Create("eu", "main@3", "curated");
        var (bytes, _) = BranchFixture.Delta("eu", "edge-a", 99, 8);
        branches.Append("eu", "curated", bytes);
        const string victim = "pat-edge-a-1";
        var mainBefore = CountByPatient(store.Open("eu").ReadRows());
        var branchBefore = CountByPatient(branches.Table("eu", "curated").ReadRows());
        var oldVersion = store.Open("eu").LatestVersion;

        var report = new DatasetErasure(store, branches).Erase("eu", "patient_pseudonym", victim);

        Assert.Equal(5 * 3 + 2, report.RowsErased); // rows 1, 5, 9 of each main delta; rows 1, 5 of the branch's
        var needle = Encoding.UTF8.GetBytes(victim);
        foreach (var file in Directory.EnumerateFiles(_tmp.Root, "*", SearchOption.AllDirectories))
            Assert.True(File.ReadAllBytes(file).AsSpan().IndexOf(needle) < 0, $"{file} still holds the erased pseudonym");
        var mainAfter = CountByPatient(store.Open("eu").ReadRows());
        var branchAfter = CountByPatient(branches.Table("eu", "curated").ReadRows());
        Assert.False(mainAfter.ContainsKey(victim));
        Assert.False(branchAfter.ContainsKey(victim));
        mainBefore.Remove(victim);
        branchBefore.Remove(victim);
        Assert.Equal(mainBefore, mainAfter);
        Assert.Equal(branchBefore, branchAfter);
        Assert.Throws<DatasetErasedException>(() => store.Open("eu").ReadRows(oldVersion));
        Assert.Throws<DatasetErasedException>(() => branches.Table("eu", "curated").ReadRows(3));
        Assert.Equal(0, store.Open("eu").ReadRows(0).RowCount); // before any row of the patient
        Assert.Contains(report.Tables, t => t.Table == "eu" && t.MarkedVersions.Count == 5);
        Assert.True(File.Exists(report.ReportPath));
    }

    [Fact]
    public void Erase_ReopenedStore_TimeTravelNeverReturnsThePseudonym()
    {
        var store = new DatasetStore(_tmp.Root, new DatasetStoreOptions { CheckpointInterval = 3 });
        store.OpenOrCreate("eu", BranchFixture.Schema);
        for (long s = 1; s <= 4; s++) BranchFixture.Send(store, "eu", "edge-a", s);
        new DatasetErasure(store, new DatasetBranches(store, BranchFixture.Options)).Erase("eu", "patient_pseudonym", "pat-edge-a-2");

        var reopened = new DatasetStore(_tmp.Root).Open("eu");
        var readable = 0;
        for (long v = 0; v <= reopened.LatestVersion; v++)
        {
            try
            {
                Assert.DoesNotContain("pat-edge-a-2", CountByPatient(reopened.ReadRows(v)).Keys);
                readable++;
            }
            catch (DatasetErasedException e)
            {
                Assert.Contains("erasure", e.Message, StringComparison.Ordinal);
            }
        }
        Assert.Equal(2, readable); // version 0 (empty) and the erasure commit
    }
}
