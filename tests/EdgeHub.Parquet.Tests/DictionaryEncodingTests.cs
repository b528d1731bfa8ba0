using System.Text.Json;

namespace EdgeHub.Parquet.Tests;

/// <summary>
/// Dictionary encoding of numeric columns (RLE_DICTIONARY pages after a PLAIN dictionary page, PLAIN fallback): read back
/// bit for bit by our reader, by DuckDB and by hyparquet, for low-cardinality columns with nulls, NaN and signed zeros,
/// all-same and all-null columns, near-unique columns (probe fallback) and a dictionary overflowing its limit mid-chunk,
/// across page and row-group boundaries, v1 and v2 pages, every codec.
/// </summary>
public sealed class DictionaryEncodingTests : IDisposable
{
    private const int Rows = 20_000;
    private const int RowGroup = 8_000;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "edgehub-pqdict-" + Guid.NewGuid().ToString("N"));

    public DictionaryEncodingTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly ParquetSchema Schema = new([
        new ParquetField("low_i32", ParquetType.Int32),
        new ParquetField("low_f32", ParquetType.Float, true),
        new ParquetField("low_f64", ParquetType.Double),
        new ParquetField("low_i64", ParquetType.Int64, true),
        new ParquetField("same_f32", ParquetType.Float),
        new ParquetField("null_i32", ParquetType.Int32, true),
        new ParquetField("ts", ParquetType.TimestampMicros),
        new ParquetField("unique_f64", ParquetType.Double),
        new ParquetField("overflow_i32", ParquetType.Int32),
    ]);

    /// <summary>Columns expected dictionary-encoded in every row group (the overflow column is both: dictionary, then PLAIN).</summary>
    private static readonly string[] DictionaryColumns = ["low_i32", "low_f32", "low_f64", "low_i64", "same_f32"];

    private static readonly string[] PlainColumns = ["null_i32", "ts", "unique_f64"];

    private static ColumnBatch Make()
    {
        var rnd = new Random(7);
        var b = new ColumnBatch(Schema, Rows) { RowCount = Rows };
        float[] specialF = [float.NaN, -0f, 0f, float.PositiveInfinity, float.Epsilon];
        double[] specialD = [double.NaN, -0d, 0d, double.NegativeInfinity, double.MaxValue];
        long[] specialL = [long.MinValue, long.MaxValue, 0, -1];
        for (var r = 0; r < Rows; r++)
        {
            b.Int32(0)[r] = rnd.Next(-3, 3);
            b.Float(1)[r] = r % 97 < 5 ? specialF[r % 97] : MathF.Round((float)rnd.NextDouble() * 30, 1);
            b.Valid(1)[r] = rnd.Next(5) != 0;
            b.Double(2)[r] = r % 89 < 5 ? specialD[r % 89] : rnd.Next(40) * 0.25;
            b.Int64(3)[r] = r % 31 < 4 ? specialL[r % 31] : rnd.Next(100) * 1_000_000_007L;
            b.Valid(3)[r] = r % 1000 >= 500 || rnd.Next(3) != 0; // null-heavy stretches and fully valid ones
            b.Float(4)[r] = 36.6f;
            b.Int32(5)[r] = r;
            b.Valid(5)[r] = false;
            b.Int64(6)[r] = 1_760_000_000_000_000L + r * 1_000L + rnd.Next(1000);
            b.Double(7)[r] = rnd.NextDouble();
            // 4 equal values in a row: the first page keeps a dictionary, which passes its 4 KB limit (1,024 INT32 values)
            // part-way through the first row group's chunk.
            b.Int32(8)[r] = r / 4 % 3000;
        }
        return b;
    }

    private static ParquetWriterOptions Options(ParquetCompression codec, int pageVersion = 1) => new()
    {
        Compression = codec, RowGroupSize = RowGroup, PageSize = 8192, DataPageVersion = pageVersion, DictionaryPageSizeLimit = 4096,
    };

    /// <summary>Writes in uneven batches so appends straddle page and row-group boundaries.</summary>
    private string Write(ColumnBatch data, ParquetWriterOptions options, string name)
    {
        var path = Path.Combine(_dir, name + ".parquet");
        using var fs = File.Create(path);
        using var w = new ParquetWriter(fs, Schema, options);
        int[] sizes = [1, 2047, 5003, 1, 6100, 7777];
        var at = 0;
        var i = 0;
        while (at < data.RowCount)
        {
            var n = Math.Min(sizes[i++ % sizes.Length], data.RowCount - at);
            var part = new ColumnBatch(Schema, n) { RowCount = n };
            for (var c = 0; c < Schema.Fields.Count; c++) data.CopyTo(c, at, part, c, 0, n);
            w.Write(part);
            at += n;
        }
        return path;
    }

    [Theory]
    [InlineData(ParquetCompression.None, 1)]
    [InlineData(ParquetCompression.Snappy, 1)]
    [InlineData(ParquetCompression.Gzip, 1)]
    [InlineData(ParquetCompression.Snappy, 2)]
    [InlineData(ParquetCompression.Brotli, 2)]
    public void Reader_DictionaryColumns_EveryValueBitForBit(ParquetCompression codec, int pageVersion)
    {
        var data = Make();
        var path = Write(data, Options(codec, pageVersion), $"ours-{codec}-{pageVersion}");
        using var reader = ParquetReader.Open(path);
        Assert.Equal(3, reader.RowGroupCount);
        AssertBitIdentical(data, reader.ReadAll());
    }

    [Theory]
    [InlineData(ParquetCompression.Snappy, 1)]
    [InlineData(ParquetCompression.Snappy, 2)]
    public void DuckDb_ReadsDictionaryColumns_ValuesAndEncodings(ParquetCompression codec, int pageVersion)
    {
        var data = Make();
        var path = Write(data, Options(codec, pageVersion), $"duck-{codec}-{pageVersion}");
        var results = NodePeer.DuckDb(
            $"SELECT * FROM read_parquet('{path}')",
            $"SELECT row_group_id, path_in_schema, encodings, stats_null_count FROM parquet_metadata('{path}') ORDER BY row_group_id, column_id");
        AssertPeerRows(data, results[0], "DuckDB");
        var encodings = new Dictionary<string, List<string>>();
        foreach (var m in results[1].EnumerateArray())
        {
            var name = m.GetProperty("path_in_schema").GetString()!;
            if (!encodings.TryGetValue(name, out var list)) encodings[name] = list = [];
            list.Add(m.GetProperty("encodings").GetString()!);
        }
        AssertEncodings(encodings);
    }

    [Fact]
    public void Reader_GetColumnChunk_AgreesWithDuckDbMetadata()
    {
        var path = Write(Make(), Options(ParquetCompression.Snappy), "chunks");
        var meta = NodePeer.DuckDb(
            $"SELECT row_group_id, path_in_schema, encodings, compression, total_compressed_size, total_uncompressed_size FROM parquet_metadata('{path}')")[0];
        using var reader = ParquetReader.Open(path);
        Assert.Equal(reader.RowGroupCount * Schema.Fields.Count, meta.GetArrayLength());
        foreach (var m in meta.EnumerateArray())
        {
            var name = m.GetProperty("path_in_schema").GetString()!;
            var chunk = reader.GetColumnChunk((int)PeerValues.AsLong(m.GetProperty("row_group_id")), name);
            var theirs = m.GetProperty("encodings").GetString()!;
            Assert.Equal(theirs.Contains("RLE_DICTIONARY", StringComparison.Ordinal), chunk.DictionaryEncoded);
            foreach (var e in chunk.Encodings) Assert.Contains(e, theirs, StringComparison.Ordinal);
            Assert.Equal(m.GetProperty("compression").GetString(), chunk.Codec);
            Assert.Equal(PeerValues.AsLong(m.GetProperty("total_compressed_size")), chunk.CompressedSize);
            Assert.Equal(PeerValues.AsLong(m.GetProperty("total_uncompressed_size")), chunk.UncompressedSize);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => reader.GetColumnChunk(reader.RowGroupCount, "ts"));
    }

    [Theory]
    [InlineData(ParquetCompression.Snappy, 1)]
    [InlineData(ParquetCompression.None, 2)]
    public void Hyparquet_ReadsDictionaryColumns_ValuesAndEncodings(ParquetCompression codec, int pageVersion)
    {
        var data = Make();
        var path = Write(data, Options(codec, pageVersion), $"hyp-{codec}-{pageVersion}");
        var result = NodePeer.Hyparquet(path);
        AssertPeerRows(data, result.GetProperty("rows"), "hyparquet");
        var encodings = new Dictionary<string, List<string>>();
        foreach (var g in result.GetProperty("metadata").GetProperty("row_groups").EnumerateArray())
            foreach (var col in g.GetProperty("columns").EnumerateArray())
            {
                var name = col.GetProperty("path").GetString()!;
                if (!encodings.TryGetValue(name, out var list)) encodings[name] = list = [];
                var all = new List<string>();
                foreach (var e in col.GetProperty("encodings").EnumerateArray()) all.Add(e.GetString()!);
                list.Add(string.Join(",", all));
            }
        AssertEncodings(encodings);
    }

    [Fact]
    public void Writer_LowCardinalityColumns_SmallerThanPlain()
    {
        var data = Make();
        var dict = new FileInfo(Write(data, Options(ParquetCompression.None), "size-dict")).Length;
        var plainOptions = Options(ParquetCompression.None);
        plainOptions.UseDictionary = false;
        var plain = Write(data, plainOptions, "size-plain");
        Assert.True(dict < new FileInfo(plain).Length * 3 / 4, $"dictionary file {dict} bytes, PLAIN file {new FileInfo(plain).Length} bytes");
        // Without dictionaries every column is PLAIN, and still reads back the same.
        using var reader = ParquetReader.Open(plain);
        AssertBitIdentical(data, reader.ReadAll());
    }

    [Fact]
    public void Writer_DictionaryLimitTooSmallForOneValue_FallsBackToPlain()
    {
        var data = Make();
        var options = Options(ParquetCompression.Snappy);
        options.DictionaryPageSizeLimit = 0;
        var path = Write(data, options, "no-room");
        using var reader = ParquetReader.Open(path);
        AssertBitIdentical(data, reader.ReadAll());
        var meta = NodePeer.DuckDb($"SELECT DISTINCT encodings FROM parquet_metadata('{path}')")[0];
        foreach (var m in meta.EnumerateArray())
            Assert.DoesNotContain("RLE_DICTIONARY", m.GetProperty("encodings").GetString()!, StringComparison.Ordinal);
    }

    [Fact]
    public void Writer_DefaultPagesNearUniqueColumns_ProbeKeepsThemPlain()
    {
        // Default 1 MB pages and one row group: the first page is large enough for the near-unique probe.
        var data = Make();
        var path = Write(data, new ParquetWriterOptions { RowGroupSize = Rows }, "probe");
        using (var reader = ParquetReader.Open(path)) AssertBitIdentical(data, reader.ReadAll());
        var meta = NodePeer.DuckDb($"SELECT path_in_schema, encodings FROM parquet_metadata('{path}')")[0];
        foreach (var m in meta.EnumerateArray())
        {
            var name = m.GetProperty("path_in_schema").GetString()!;
            var dictionary = m.GetProperty("encodings").GetString()!.Contains("RLE_DICTIONARY", StringComparison.Ordinal);
            if (name is "ts" or "unique_f64" or "null_i32") Assert.False(dictionary, name);
            else Assert.True(dictionary, name);
        }
    }

    [Fact]
    public void Writer_FeatureLikeColumns_NoLargerThanDuckDbWritingTheSameRows()
    {
        // The rows of the Parquet bench in small: rounded features, class ids, timestamps. Encoding choices decide the bytes
        // Snappy must compress (and so the write time): ours must not store more than DuckDB's writer does.
        const int rows = 60_000;
        var fields = new List<ParquetField> { new("window_end", ParquetType.TimestampMicros) };
        for (var i = 0; i < 12; i++) fields.Add(new ParquetField("f" + i, ParquetType.Float, true));
        fields.Add(new ParquetField("predicted_class", ParquetType.Int32, true));
        var schema = new ParquetSchema(fields);
        var b = new ColumnBatch(schema, rows) { RowCount = rows };
        var rnd = new Random(3);
        for (var r = 0; r < rows; r++)
        {
            b.Int64(0)[r] = 1_760_000_000_000_000L + r * 1_000L + rnd.Next(1000);
            for (var c = 1; c <= 12; c++)
            {
                var center = 1 + c * 11.1f;
                b.Float(c)[r] = MathF.Round(center + (float)(rnd.NextDouble() - 0.5) * center * 0.4f, 2);
                b.Valid(c)[r] = true;
            }
            b.Int32(13)[r] = rnd.Next(6);
            b.Valid(13)[r] = rnd.Next(50) != 0;
        }
        var ours = Path.Combine(_dir, "features-ours.parquet");
        File.WriteAllBytes(ours, TestData.Write(new ParquetWriterOptions(), b));
        var duck = Path.Combine(_dir, "features-duck.parquet");
        NodePeer.DuckDb($"COPY (SELECT * FROM read_parquet('{ours}')) TO '{duck}' (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 1000000)");
        long oursSize = new FileInfo(ours).Length, duckSize = new FileInfo(duck).Length;
        Assert.True(oursSize <= duckSize * 21 / 20, $"our file {oursSize} bytes, DuckDB's {duckSize} bytes");
        using var reader = ParquetReader.Open(ours);
        for (var c = 1; c <= 13; c++) Assert.True(reader.GetColumnChunk(0, fields[c].Name).DictionaryEncoded, fields[c].Name);
        Assert.False(reader.GetColumnChunk(0, "window_end").DictionaryEncoded);
        var back = reader.ReadAll();
        TestData.AssertSame(b, 0, back, 0, rows);
    }

    [Theory]
    [InlineData(ParquetCompression.None)]
    [InlineData(ParquetCompression.Snappy)]
    public void Read_CorruptedDictionaryFile_OnlyFormatExceptionsOrValidData(ParquetCompression codec)
    {
        // Small low-cardinality file: the flips land in dictionary pages, bit widths, RLE headers and index runs.
        var all = Make();
        var data = new ColumnBatch(Schema, 700) { RowCount = 700 };
        for (var c = 0; c < Schema.Fields.Count; c++) all.CopyTo(c, 0, data, c, 0, 700);
        var options = Options(codec);
        options.RowGroupSize = 300;
        options.PageSize = 1024;
        var original = File.ReadAllBytes(Write(data, options, "fuzz-" + codec));
        var rnd = new Random(99 + (int)codec);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        for (var i = 0; i < 3000 && DateTime.UtcNow < deadline; i++)
        {
            var bytes = (byte[])original.Clone();
            for (var k = 1 + rnd.Next(3); k > 0; k--)
            {
                var pos = 4 + rnd.Next(bytes.Length - 12);
                bytes[pos] = rnd.Next(3) switch { 0 => 0xFF, 1 => (byte)(bytes[pos] ^ (1 << rnd.Next(8))), _ => (byte)rnd.Next(256) };
            }
            try
            {
                using var reader = new ParquetReader(bytes);
                for (var g = 0; g < reader.RowGroupCount; g++) reader.ReadRowGroup(g);
            }
            catch (ParquetFormatException)
            {
            }
            catch (Exception e)
            {
                Assert.Fail($"mutation {i} raised {e.GetType().Name} instead of ParquetFormatException: {e}");
            }
        }
    }

    [Fact]
    public void Options_NegativeDictionaryLimit_Refused()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            new ParquetWriter(new MemoryStream(), Schema, new ParquetWriterOptions { DictionaryPageSizeLimit = -1 }));
        Assert.Contains("dictionary size limit", e.Message, StringComparison.Ordinal);
    }

    private static void AssertEncodings(Dictionary<string, List<string>> encodings)
    {
        foreach (var c in DictionaryColumns)
            foreach (var e in encodings[c]) Assert.True(e.Contains("RLE_DICTIONARY", StringComparison.Ordinal), $"{c}: encodings {e}");
        foreach (var c in PlainColumns)
            foreach (var e in encodings[c]) Assert.False(e.Contains("RLE_DICTIONARY", StringComparison.Ordinal), $"{c}: encodings {e}");
        // First row group: dictionary pages, then PLAIN once the 4 KB dictionary is full.
        var overflow = encodings["overflow_i32"][0];
        Assert.True(overflow.Contains("RLE_DICTIONARY", StringComparison.Ordinal) && overflow.Contains("PLAIN", StringComparison.Ordinal), $"overflow_i32: {overflow}");
    }

    private static void AssertPeerRows(ColumnBatch data, JsonElement rows, string peer)
    {
        Assert.Equal(data.RowCount, rows.GetArrayLength());
        for (var r = 0; r < data.RowCount; r++)
            for (var c = 0; c < Schema.Fields.Count; c++)
            {
                var f = Schema.Fields[c];
                PeerValues.AssertEqual(f.Type, data.GetValue(c, r), rows[r].GetProperty(f.Name), $"{peer} row {r} column {f.Name}");
            }
    }

    /// <summary>Same nulls and the same bits (NaN payloads and -0.0 included).</summary>
    private static void AssertBitIdentical(ColumnBatch expected, ColumnBatch actual)
    {
        Assert.Equal(expected.RowCount, actual.RowCount);
        for (var c = 0; c < Schema.Fields.Count; c++)
        {
            var f = Schema.Fields[c];
            for (var r = 0; r < expected.RowCount; r++)
            {
                var e = expected.GetValue(c, r);
                var a = actual.GetValue(c, r);
                var same = (e, a) switch
                {
                    (null, null) => true,
                    (float x, float y) => BitConverter.SingleToInt32Bits(x) == BitConverter.SingleToInt32Bits(y),
                    (double x, double y) => BitConverter.DoubleToInt64Bits(x) == BitConverter.DoubleToInt64Bits(y),
                    _ => Equals(e, a),
                };
                if (!same) Assert.Fail($"column {f.Name} row {r}: wrote {e ?? "null"}, read {a ?? "null"}");
            }
        }
    }
}
