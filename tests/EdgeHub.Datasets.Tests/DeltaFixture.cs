using System.Security.Cryptography;
using EdgeHub.Datasets;
using EdgeHub.Parquet;

namespace EdgeHub.Datasets.Tests;

/// <summary>A throwaway store folder plus helpers that build deltas like an edge does.</summary>
internal sealed class TempStore : IDisposable
{
    public static readonly ParquetSchema Schema = new([
        new ParquetField("ts", ParquetType.TimestampMicros),
        new ParquetField("device", ParquetType.String),
        new ParquetField("hr", ParquetType.Float),
        new ParquetField("rmssd", ParquetType.Double, true),
        new ParquetField("label", ParquetType.Int32, true),
    ]);

    public TempStore()
    {
        Root = Path.Combine(Path.GetTempPath(), "edgehub-ds-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    /// <summary>A delta of <paramref name="rows"/> rows whose values encode (edge, sequence, row) so tests can check them.</summary>
    public static (byte[] Bytes, DeltaManifest Manifest) Delta(string region, string edge, long seq, int rows, ParquetSchema? schema = null)
    {
        schema ??= Schema;
        var b = new ColumnBatch(schema, rows) { RowCount = rows };
        for (var r = 0; r < rows; r++)
        {
            b.Int64(0)[r] = 1_700_000_000_000_000L + seq * 1_000_000 + r;
            b.String(1)[r] = $"{edge}/dev-{r % 5}";
            b.Float(2)[r] = 60 + (seq % 50) + r * 0.01f;
            b.Double(3)[r] = seq * 1000 + r;
            b.Valid(3)[r] = r % 4 != 0;
            b.Int32(4)[r] = r % 3;
            b.Valid(4)[r] = r % 2 == 0;
            for (var c = 5; c < schema.Fields.Count; c++)
            {
                if (schema.Fields[c].Type == ParquetType.Double) b.Double(c)[r] = r;
                if (schema.Fields[c].Nullable) b.Valid(c)[r] = true;
            }
        }
        using var ms = new MemoryStream();
        using (var w = new ParquetWriter(ms, schema)) w.Write(b);
        var bytes = ms.ToArray();
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        return (bytes, new DeltaManifest($"{edge}-{seq}", region, edge, seq, rows, sha));
    }

    public static CommitResult Send(DatasetStore store, string region, string edge, long seq, int rows = 10)
    {
        var (bytes, m) = Delta(region, edge, seq, rows);
        return store.CommitDelta(region, edge, seq, bytes, m);
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
    }
}
