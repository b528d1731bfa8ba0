using System.Security.Cryptography;
using EdgeHub.Parquet;

namespace EdgeHub.Datasets.Tests;

/// <summary>Deltas with a patient pseudonym column, and a store with branches keyed like the test schema (ts, device).</summary>
internal static class BranchFixture
{
    public static readonly ParquetSchema Schema = new([
        new ParquetField("ts", ParquetType.TimestampMicros),
        new ParquetField("device", ParquetType.String),
        new ParquetField("patient_pseudonym", ParquetType.String),
        new ParquetField("hr", ParquetType.Float),
        new ParquetField("label", ParquetType.Int32, true),
    ]);

    public static BranchOptions Options => new() { KeyColumns = ["ts", "device"], LabelColumn = "label" };

    /// <summary>Rows r of (edge, seq): ts unique per row, patient "pat-{r % patients}", label r % 3 on even rows.</summary>
    public static (byte[] Bytes, DeltaManifest Manifest) Delta(string region, string edge, long seq, int rows, int patients = 4)
    {
        var b = new ColumnBatch(Schema, rows) { RowCount = rows };
        for (var r = 0; r < rows; r++)
        {
            b.Int64(0)[r] = 1_700_000_000_000_000L + seq * 1_000_000 + r;
            b.String(1)[r] = $"{edge}/dev-{r % 3}";
            b.String(2)[r] = $"pat-{edge}-{r % patients}";
            b.Float(3)[r] = 60 + r;
            b.Int32(4)[r] = r % 3;
            b.Valid(4)[r] = r % 2 == 0;
        }
        using var ms = new MemoryStream();
        using (var w = new ParquetWriter(ms, Schema)) w.Write(b);
        var bytes = ms.ToArray();
        return (bytes, new DeltaManifest($"{edge}-{seq}", region, edge, seq, rows, Convert.ToHexStringLower(SHA256.HashData(bytes))));
    }

    public static void Send(DatasetStore store, string region, string edge, long seq, int rows = 10, int patients = 4)
    {
        var (bytes, m) = Delta(region, edge, seq, rows, patients);
        Assert.IsType<CommitResult.Committed>(store.CommitDelta(region, edge, seq, bytes, m));
    }

    /// <summary>(ts, label) of every row of a batch, sorted by ts.</summary>
    public static List<(long Ts, int? Label)> Rows(ColumnBatch b)
    {
        var list = new List<(long, int?)>();
        for (var r = 0; r < b.RowCount; r++) list.Add((b.Int64(0)[r], b.Valid(4)[r] ? b.Int32(4)[r] : null));
        list.Sort();
        return list;
    }
}
