using System.Text.Json;
using EdgeHub.Parquet;

namespace EdgeHub.Parquet.Tests;

/// <summary>Our files read by DuckDB and hyparquet (schema, rows, every value, statistics), and DuckDB's files read by us.</summary>
public sealed class PeerInteropTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "edgehub-pq-" + Guid.NewGuid().ToString("N"));

    public PeerInteropTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (string Path, ColumnBatch Data) WriteOurs(ParquetCompression codec, int pageVersion = 1, int rows = 2500, int rowGroup = 1000)
    {
        var data = TestData.Make(rows, 42);
        var path = Path.Combine(_dir, $"ours-{codec}-v{pageVersion}.parquet");
        File.WriteAllBytes(path, TestData.Write(new ParquetWriterOptions { Compression = codec, RowGroupSize = rowGroup, PageSize = 8192, DataPageVersion = pageVersion }, data));
        return (path, data);
    }

    [Theory]
    [InlineData(ParquetCompression.None, 1)]
    [InlineData(ParquetCompression.Snappy, 1)]
    [InlineData(ParquetCompression.Gzip, 1)]
    [InlineData(ParquetCompression.Brotli, 1)]
    [InlineData(ParquetCompression.None, 2)]
    [InlineData(ParquetCompression.Snappy, 2)]
    [InlineData(ParquetCompression.Brotli, 2)]
    public void DuckDb_ReadsOurFile_EveryValueSchemaAndStatistics(ParquetCompression codec, int pageVersion)
    {
        var (path, data) = WriteOurs(codec, pageVersion);
        var results = NodePeer.DuckDb(
            $"SELECT * FROM read_parquet('{path}')",
            $"SELECT column_name, column_type, \"null\" AS nullable FROM (DESCRIBE SELECT * FROM read_parquet('{path}'))",
            $"SELECT row_group_id, path_in_schema, stats_min_value, stats_max_value, stats_null_count, compression FROM parquet_metadata('{path}') ORDER BY row_group_id, column_id");
        var rows = results[0];
        Assert.Equal(data.RowCount, rows.GetArrayLength());
        for (var r = 0; r < data.RowCount; r++)
            for (var c = 0; c < data.Schema.Fields.Count; c++)
            {
                var f = data.Schema.Fields[c];
                PeerValues.AssertEqual(f.Type, data.GetValue(c, r), rows[r].GetProperty(f.Name), $"DuckDB {codec} row {r} column {f.Name}");
            }

        var expectedTypes = new Dictionary<ParquetType, string>
        {
            [ParquetType.Int64] = "BIGINT", [ParquetType.TimestampMicros] = "TIMESTAMP WITH TIME ZONE", [ParquetType.Int32] = "INTEGER",
            [ParquetType.Float] = "FLOAT", [ParquetType.Double] = "DOUBLE", [ParquetType.Boolean] = "BOOLEAN", [ParquetType.String] = "VARCHAR",
        };
        var described = results[1];
        Assert.Equal(data.Schema.Fields.Count, described.GetArrayLength());
        for (var c = 0; c < data.Schema.Fields.Count; c++)
        {
            Assert.Equal(data.Schema.Fields[c].Name, described[c].GetProperty("column_name").GetString());
            Assert.Equal(expectedTypes[data.Schema.Fields[c].Type], described[c].GetProperty("column_type").GetString());
        }

        using var reader = ParquetReader.Open(path);
        var meta = results[2];
        Assert.Equal(reader.RowGroupCount * data.Schema.Fields.Count, meta.GetArrayLength());
        var expectedCodec = codec switch { ParquetCompression.None => "UNCOMPRESSED", ParquetCompression.Snappy => "SNAPPY", ParquetCompression.Gzip => "GZIP", _ => "BROTLI" };
        foreach (var m in meta.EnumerateArray())
        {
            var g = (int)PeerValues.AsLong(m.GetProperty("row_group_id"));
            var name = m.GetProperty("path_in_schema").GetString()!;
            Assert.Equal(expectedCodec, m.GetProperty("compression").GetString());
            var c = data.Schema.GetIndex(name);
            var (min, max, nulls) = TrueStats(data, c, g * 1000, (int)reader.RowGroupRowCount(g));
            Assert.Equal(nulls, PeerValues.AsLong(m.GetProperty("stats_null_count")));
            if (data.Schema.Fields[c].Type is ParquetType.Float or ParquetType.Double or ParquetType.Boolean or ParquetType.TimestampMicros) continue;
            Assert.Equal(Convert.ToString(min, System.Globalization.CultureInfo.InvariantCulture), m.GetProperty("stats_min_value").GetString());
            Assert.Equal(Convert.ToString(max, System.Globalization.CultureInfo.InvariantCulture), m.GetProperty("stats_max_value").GetString());
        }
    }

    [Fact]
    public void DuckDb_FloatStatistics_MatchTrueMinMaxIgnoringNaN()
    {
        var (path, data) = WriteOurs(ParquetCompression.Snappy);
        var c = data.Schema.GetIndex("f32");
        var d = data.Schema.GetIndex("f64");
        var results = NodePeer.DuckDb(
            $"SELECT min(f32) AS lo, max(f32) FILTER (WHERE NOT isnan(f32)) AS hi, min(f64) AS dlo, max(f64) FILTER (WHERE NOT isnan(f64)) AS dhi, count(*) FILTER (WHERE isnan(f32)) AS nans FROM read_parquet('{path}')");
        var (min, max, _) = TrueStats(data, c, 0, data.RowCount);
        var (dmin, dmax, _) = TrueStats(data, d, 0, data.RowCount);
        var row = results[0][0];
        Assert.Equal((double)(float)min!, row.GetProperty("lo").GetDouble());
        Assert.Equal((double)(float)max!, row.GetProperty("hi").GetDouble());
        Assert.Equal((double)dmin!, row.GetProperty("dlo").GetDouble());
        Assert.Equal((double)dmax!, row.GetProperty("dhi").GetDouble());
        Assert.True(PeerValues.AsLong(row.GetProperty("nans")) > 0);
        using var reader = ParquetReader.Open(path);
        float lo = float.MaxValue, hi = float.MinValue;
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            var s = reader.GetStatistics(g, "f32")!;
            lo = Math.Min(lo, (float)s.Min!);
            hi = Math.Max(hi, (float)s.Max!);
        }
        Assert.Equal((float)min, lo);
        Assert.Equal((float)max, hi);
    }

    [Theory]
    [InlineData(ParquetCompression.None, 1)]
    [InlineData(ParquetCompression.Snappy, 1)]
    [InlineData(ParquetCompression.Gzip, 1)]
    [InlineData(ParquetCompression.Brotli, 1)]
    [InlineData(ParquetCompression.None, 2)]
    [InlineData(ParquetCompression.Snappy, 2)]
    [InlineData(ParquetCompression.Brotli, 2)]
    public void Hyparquet_ReadsOurFile_EveryValueAndStatistics(ParquetCompression codec, int pageVersion)
    {
        var (path, data) = WriteOurs(codec, pageVersion);
        var result = NodePeer.Hyparquet(path);
        var rows = result.GetProperty("rows");
        Assert.Equal(data.RowCount, rows.GetArrayLength());
        for (var r = 0; r < data.RowCount; r++)
            for (var c = 0; c < data.Schema.Fields.Count; c++)
            {
                var f = data.Schema.Fields[c];
                PeerValues.AssertEqual(f.Type, data.GetValue(c, r), rows[r].GetProperty(f.Name), $"hyparquet {codec} row {r} column {f.Name}");
            }
        var meta = result.GetProperty("metadata");
        Assert.Equal(data.RowCount.ToString(System.Globalization.CultureInfo.InvariantCulture), meta.GetProperty("num_rows").GetString());
        var groups = meta.GetProperty("row_groups");
        Assert.Equal(3, groups.GetArrayLength());
        for (var g = 0; g < 3; g++)
            foreach (var col in groups[g].GetProperty("columns").EnumerateArray())
            {
                var c = data.Schema.GetIndex(col.GetProperty("path").GetString()!);
                var f = data.Schema.Fields[c];
                var stats = col.GetProperty("statistics");
                var (min, max, nulls) = TrueStats(data, c, g * 1000, Math.Min(1000, data.RowCount - g * 1000));
                Assert.Equal(nulls, PeerValues.AsLong(stats.GetProperty("null_count")));
                if (f.Type is ParquetType.Boolean) continue;
                PeerValues.AssertEqual(f.Type, min, stats.GetProperty("min_value"), $"hyparquet min of {f.Name} in group {g}");
                PeerValues.AssertEqual(f.Type, max, stats.GetProperty("max_value"), $"hyparquet max of {f.Name} in group {g}");
            }
    }

    [Theory]
    [InlineData("snappy", "V1")]
    [InlineData("gzip", "V1")]
    [InlineData("brotli", "V2")]
    [InlineData("uncompressed", "V2")]
    [InlineData("snappy", "V2")]
    public void Reader_ReadsDuckDbFile_SameValuesAsDuckDb(string codec, string version)
    {
        var path = Path.Combine(_dir, $"duck-{codec}-{version}.parquet");
        var select = "SELECT i::BIGINT AS id, (i * 7 % 1000)::INTEGER AS small, CASE WHEN i % 5 = 0 THEN NULL ELSE (i * 0.25)::FLOAT END AS f, " +
            "(i / 3.0)::DOUBLE AS d, i % 3 = 0 AS b, CASE WHEN i % 7 = 0 THEN NULL ELSE 'dev-' || (i % 13)::VARCHAR END AS s, " +
            "'unique-' || i::VARCHAR AS u, TIMESTAMPTZ '2024-03-01 00:00:00+00' + to_microseconds(i * 1001) AS ts FROM range(5000) t(i)";
        var results = NodePeer.DuckDb(
            $"COPY ({select}) TO '{path}' (FORMAT parquet, COMPRESSION {codec}, ROW_GROUP_SIZE 2048, PARQUET_VERSION {version})",
            $"SELECT * FROM read_parquet('{path}')");
        var rows = results[1];
        using var reader = ParquetReader.Open(path);
        Assert.Equal(5000, reader.RowCount);
        var batch = reader.ReadAll();
        Assert.Equal(rows.GetArrayLength(), batch.RowCount);
        for (var r = 0; r < batch.RowCount; r++)
            for (var c = 0; c < batch.Schema.Fields.Count; c++)
            {
                var f = batch.Schema.Fields[c];
                PeerValues.AssertEqual(f.Type, batch.GetValue(c, r), rows[r].GetProperty(f.Name), $"DuckDB {codec}/{version} file row {r} column {f.Name}");
            }
    }

    /// <summary>True min/max (NaN ignored) and null count of rows [start, start+count).</summary>
    internal static (object? Min, object? Max, long Nulls) TrueStats(ColumnBatch data, int c, int start, int count)
    {
        object? min = null, max = null;
        long nulls = 0;
        for (var r = start; r < start + count; r++)
        {
            var v = data.GetValue(c, r);
            if (v is null) { nulls++; continue; }
            if (v is float f && float.IsNaN(f)) continue;
            if (v is double d && double.IsNaN(d)) continue;
            if (min is null || Compare(v, min) < 0) min = v;
            if (max is null || Compare(v, max) > 0) max = v;
        }
        return (min, max, nulls);
    }

    private static int Compare(object a, object b) => a is string s
        ? System.Text.Encoding.UTF8.GetBytes(s).AsSpan().SequenceCompareTo(System.Text.Encoding.UTF8.GetBytes((string)b))
        : ((IComparable)a).CompareTo(b);
}
