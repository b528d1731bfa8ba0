using System.Globalization;
using System.Security.Cryptography;
using EdgeHub.Datasets;
using EdgeHub.Parquet;

// Usage: DeltaWriter <store root> <region> <edge id> <first sequence> <count>
// Commits deltas of 20 rows for sequences first..first+count-1 and prints "<sequence> <result>" per delta, flushed at once,
// so a test can SIGKILL it at any moment and know what was acknowledged.
if (args.Length != 5)
{
    Console.Error.WriteLine("usage: DeltaWriter <store root> <region> <edge id> <first sequence> <count>");
    return 2;
}
var (root, region, edge) = (args[0], args[1], args[2]);
var first = long.Parse(args[3], CultureInfo.InvariantCulture);
var count = long.Parse(args[4], CultureInfo.InvariantCulture);
var schema = new ParquetSchema([
    new ParquetField("ts", ParquetType.TimestampMicros),
    new ParquetField("device", ParquetType.String),
    new ParquetField("hr", ParquetType.Float),
    new ParquetField("rmssd", ParquetType.Double, true),
    new ParquetField("label", ParquetType.Int32, true),
]);
var store = new DatasetStore(root);
store.OpenOrCreate(region, schema);
var stdout = Console.Out;
for (var seq = first; seq < first + count; seq++)
{
    const int rows = 20;
    var b = new ColumnBatch(schema, rows) { RowCount = rows };
    for (var r = 0; r < rows; r++)
    {
        b.Int64(0)[r] = 1_700_000_000_000_000L + seq * 1_000_000 + r;
        b.String(1)[r] = $"{edge}/dev-{r % 5}";
        b.Float(2)[r] = 60 + r;
        b.Double(3)[r] = seq * 1000 + r;
        b.Valid(3)[r] = true;
        b.Valid(4)[r] = false;
    }
    using var ms = new MemoryStream();
    using (var w = new ParquetWriter(ms, schema)) w.Write(b);
    var bytes = ms.ToArray();
    var manifest = new DeltaManifest($"{edge}-{seq}", region, edge, seq, rows, Convert.ToHexStringLower(SHA256.HashData(bytes)));
    var result = store.CommitDelta(region, edge, seq, bytes, manifest);
    stdout.WriteLine($"{seq} {result}");
    stdout.Flush();
}
return 0;
