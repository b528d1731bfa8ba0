using EdgeHub.Datasets;
using EdgeHub.Parquet;

namespace EdgeHub.Datasets.Tests;

public class DatasetStoreTests
{
    [Fact]
    public void CommitDelta_InOrder_CommitsConsecutiveVersionsWithTxn()
    {
        using var tmp = new TempStore();
        var store = new DatasetStore(tmp.Root);
        var table = store.OpenOrCreate("eu", TempStore.Schema);
        Assert.Equal(0, table.LatestVersion);
        Assert.Equal(new CommitResult.Committed(1), TempStore.Send(store, "eu", "edge-a", 1));
        Assert.Equal(new CommitResult.Committed(2), TempStore.Send(store, "eu", "edge-a", 2));
        Assert.Equal(new CommitResult.Committed(3), TempStore.Send(store, "eu", "edge-b", 1));
        Assert.Equal(2, table.LastSequence("edge-a"));
        Assert.Equal(1, table.LastSequence("edge-b"));
        Assert.Null(table.LastSequence("edge-c"));
        Assert.Equal(30, table.Snapshot().RowCount);
        Assert.Equal(30, table.ReadRows().RowCount);
        Assert.Equal(20, table.ReadRows(sinceVersion: 1).RowCount);
        Assert.Equal(10, table.ReadRows(version: 1).RowCount);
    }

    [Fact]
    public void CommitDelta_Resent_IsDuplicateWithOriginalVersionAndNotMergedTwice()
    {
        using var tmp = new TempStore();
        var store = new DatasetStore(tmp.Root);
        store.OpenOrCreate("eu", TempStore.Schema);
        var (bytes, m) = TempStore.Delta("eu", "edge-a", 1, 7);
        Assert.Equal(new CommitResult.Committed(1), store.CommitDelta("eu", "edge-a", 1, bytes, m));
        Assert.Equal(new CommitResult.Committed(2), TempStore.Send(store, "eu", "edge-a", 2));
        Assert.Equal(new CommitResult.Duplicate(1), store.CommitDelta("eu", "edge-a", 1, bytes, m));
        // A fresh store instance (hub restart) still recognises it from the log.
        var again = new DatasetStore(tmp.Root);
        Assert.Equal(new CommitResult.Duplicate(1), again.CommitDelta("eu", "edge-a", 1, bytes, m));
        Assert.Equal(17, again.Open("eu").Snapshot().RowCount);
    }

    [Fact]
    public void CommitDelta_Gap_IsHeldThenCommittedInOrderWhenFilled()
    {
        using var tmp = new TempStore();
        var store = new DatasetStore(tmp.Root);
        var table = store.OpenOrCreate("eu", TempStore.Schema);
        Assert.Equal(new CommitResult.Held(1), TempStore.Send(store, "eu", "edge-a", 3));
        Assert.Equal(new CommitResult.Held(1), TempStore.Send(store, "eu", "edge-a", 2));
        Assert.Equal(0, table.LatestVersion);
        Assert.Equal(new CommitResult.Committed(1), TempStore.Send(store, "eu", "edge-a", 1));
        Assert.Equal(3, table.LatestVersion);
        Assert.Equal(3, table.LastSequence("edge-a"));
        Assert.Equal(new CommitResult.Duplicate(3), TempStore.Send(store, "eu", "edge-a", 3));
        var seqs = table.History().Where(h => h.Sequence is not null).Select(h => h.Sequence!.Value).ToArray();
        Assert.Equal([1L, 2L, 3L], seqs);
    }

    [Fact]
    public void CommitDelta_BadInputs_AreRejectedWithSpecificReasons()
    {
        using var tmp = new TempStore();
        var store = new DatasetStore(tmp.Root);
        store.OpenOrCreate("eu", TempStore.Schema);
        var (bytes, m) = TempStore.Delta("eu", "edge-a", 1, 5);

        var badSha = store.CommitDelta("eu", "edge-a", 1, bytes, m with { Sha256 = new string('0', 64) });
        Assert.Contains("sha256 mismatch", Assert.IsType<CommitResult.Rejected>(badSha).Reason, StringComparison.Ordinal);

        var corrupt = (byte[])bytes.Clone();
        corrupt[10] ^= 0xFF;
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(corrupt));
        var bad = store.CommitDelta("eu", "edge-a", 1, corrupt, m with { Sha256 = sha });
        Assert.Contains("not a valid Parquet file", Assert.IsType<CommitResult.Rejected>(bad).Reason, StringComparison.Ordinal);

        var rows = store.CommitDelta("eu", "edge-a", 1, bytes, m with { Rows = 6 });
        Assert.Contains("6 rows", Assert.IsType<CommitResult.Rejected>(rows).Reason, StringComparison.Ordinal);

        var wrong = new ParquetSchema([new ParquetField("ts", ParquetType.TimestampMicros), new ParquetField("device", ParquetType.String),
            new ParquetField("hr", ParquetType.Double)]);
        var wbatch = new ColumnBatch(wrong, 2) { RowCount = 2 };
        wbatch.String(1)[0] = "a";
        wbatch.String(1)[1] = "b";
        using var wms = new MemoryStream();
        using (var w = new ParquetWriter(wms, wrong)) w.Write(wbatch);
        var wbytes = wms.ToArray();
        var wm = new DeltaManifest("x", "eu", "edge-a", 1, 2, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(wbytes)));
        var typeProblem = store.CommitDelta("eu", "edge-a", 1, wbytes, wm);
        Assert.Contains("column 'hr' has type Double, the schema expects Float", Assert.IsType<CommitResult.Rejected>(typeProblem).Reason, StringComparison.Ordinal);

        var region = store.CommitDelta("us", "edge-a", 1, bytes, m);
        Assert.Contains("region", Assert.IsType<CommitResult.Rejected>(region).Reason, StringComparison.Ordinal);
        Assert.Equal(0, store.Open("eu").LatestVersion);
    }

    [Fact]
    public void CommitDelta_DamagedCopyOfCommittedDelta_IsStillDuplicate()
    {
        using var tmp = new TempStore();
        var store = new DatasetStore(tmp.Root);
        store.OpenOrCreate("eu", TempStore.Schema);
        var (bytes, m) = TempStore.Delta("eu", "edge-a", 1, 5);
        Assert.Equal(new CommitResult.Committed(1), store.CommitDelta("eu", "edge-a", 1, bytes, m));
        var damaged = bytes[..^20];
        Assert.Equal(new CommitResult.Duplicate(1), store.CommitDelta("eu", "edge-a", 1, damaged, m));
        Assert.IsType<CommitResult.Rejected>(store.CommitDelta("eu", "edge-a", 2, damaged, m with { Sequence = 2 }));
        Assert.Equal(1, store.Open("eu").LatestVersion);
    }

    [Theory]
    [InlineData("../evil", "edge id")]
    [InlineData("edge a", "edge id")]
    [InlineData("", "edge id")]
    public void CommitDelta_UnsafeEdgeId_IsRejected(string edge, string expected)
    {
        using var tmp = new TempStore();
        var store = new DatasetStore(tmp.Root);
        store.OpenOrCreate("eu", TempStore.Schema);
        var (bytes, m) = TempStore.Delta("eu", "edge-a", 1, 5);
        var r = store.CommitDelta("eu", edge, 1, bytes, m with { EdgeId = edge });
        Assert.Contains(expected, Assert.IsType<CommitResult.Rejected>(r).Reason, StringComparison.Ordinal);
        Assert.IsType<CommitResult.Rejected>(store.CommitDelta("../x", "edge-a", 1, bytes, m));
    }

    [Fact]
    public void CommitDelta_ManifestDisagreesWithEnvelope_IsRejected()
    {
        using var tmp = new TempStore();
        var store = new DatasetStore(tmp.Root);
        store.OpenOrCreate("eu", TempStore.Schema);
        var (bytes, m) = TempStore.Delta("eu", "edge-a", 1, 5);
        Assert.Contains("manifest sequence", Assert.IsType<CommitResult.Rejected>(store.CommitDelta("eu", "edge-a", 2, bytes, m)).Reason, StringComparison.Ordinal);
        Assert.Contains("manifest edge", Assert.IsType<CommitResult.Rejected>(store.CommitDelta("eu", "edge-b", 1, bytes, m)).Reason, StringComparison.Ordinal);
        Assert.Contains("below the first sequence", Assert.IsType<CommitResult.Rejected>(store.CommitDelta("eu", "edge-a", 0, bytes, m with { Sequence = 0 })).Reason, StringComparison.Ordinal);
        Assert.Contains("empty", Assert.IsType<CommitResult.Rejected>(store.CommitDelta("eu", "edge-a", 1, ReadOnlyMemory<byte>.Empty, m)).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void CommitDelta_TooManyHeld_RejectsFurtherOutOfOrderDeltas()
    {
        using var tmp = new TempStore();
        var store = new DatasetStore(tmp.Root, new DatasetStoreOptions { MaxHeldPerEdge = 3 });
        store.OpenOrCreate("eu", TempStore.Schema);
        for (long s = 2; s <= 4; s++) Assert.Equal(new CommitResult.Held(1), TempStore.Send(store, "eu", "edge-a", s));
        Assert.Contains("send 1 first", Assert.IsType<CommitResult.Rejected>(TempStore.Send(store, "eu", "edge-a", 5)).Reason, StringComparison.Ordinal);
        Assert.Equal(new CommitResult.Committed(1), TempStore.Send(store, "eu", "edge-a", 1));
        Assert.Equal(4, store.Open("eu").LastSequence("edge-a"));
    }
}
