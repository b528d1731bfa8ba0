using EdgeHub.Parquet;

namespace EdgeHub.Parquet.Tests;

public class RoundTripTests
{
    [Theory]
    [InlineData(ParquetCompression.None, 1)]
    [InlineData(ParquetCompression.Snappy, 1)]
    [InlineData(ParquetCompression.Gzip, 1)]
    [InlineData(ParquetCompression.Brotli, 1)]
    [InlineData(ParquetCompression.None, 2)]
    [InlineData(ParquetCompression.Snappy, 2)]
    [InlineData(ParquetCompression.Gzip, 2)]
    [InlineData(ParquetCompression.Brotli, 2)]
    public void Write_EveryCodecSeveralRowGroups_ReadsBackEveryValue(ParquetCompression codec, int pageVersion)
    {
        var a = TestData.Make(3000, 1);
        var b = TestData.Make(1234, 2);
        var bytes = TestData.Write(new ParquetWriterOptions { Compression = codec, RowGroupSize = 1000, PageSize = 4096, DataPageVersion = pageVersion }, a, b);
        using var reader = new ParquetReader(bytes);
        Assert.Equal(4234, reader.RowCount);
        Assert.Equal(5, reader.RowGroupCount);
        Assert.True(reader.Schema.SameAs(TestData.AllTypes));
        var all = reader.ReadAll();
        TestData.AssertSame(a, 0, all, 0, 3000);
        TestData.AssertSame(b, 0, all, 3000, 1234);
    }

    [Fact]
    public void ReadRowGroup_Projection_ReturnsOnlyRequestedColumnsInOrder()
    {
        var a = TestData.Make(500, 3);
        var bytes = TestData.Write(new ParquetWriterOptions { RowGroupSize = 200 }, a);
        using var reader = new ParquetReader(bytes);
        var batch = reader.ReadRowGroup(1, ["opt_name", "f32"]);
        Assert.Equal(2, batch.Schema.Fields.Count);
        Assert.Equal("opt_name", batch.Schema.Fields[0].Name);
        Assert.Equal(200, batch.RowCount);
        TestData.AssertSame(a.Project(["opt_name", "f32"]), 200, batch, 0, 200);
    }

    [Fact]
    public void Write_MetadataAndCreatedBy_RoundTrip()
    {
        var options = new ParquetWriterOptions();
        options.Metadata["edgehub.delta_id"] = "d-1";
        options.Metadata["note"] = "Grüße";
        var bytes = TestData.Write(options, TestData.Make(10, 4));
        using var reader = new ParquetReader(bytes);
        Assert.Equal("d-1", reader.Metadata["edgehub.delta_id"]);
        Assert.Equal("Grüße", reader.Metadata["note"]);
        Assert.StartsWith("EdgeHub.Parquet", reader.CreatedBy, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_NoRows_FileHasSchemaAndZeroRows()
    {
        using var ms = new MemoryStream();
        using (new ParquetWriter(ms, TestData.AllTypes)) { }
        using var reader = new ParquetReader(ms.ToArray());
        Assert.Equal(0, reader.RowCount);
        Assert.Equal(0, reader.RowGroupCount);
        Assert.Equal(0, reader.ReadAll().RowCount);
    }

    [Fact]
    public void Write_RequiredStringNull_ThrowsNamingColumn()
    {
        var b = TestData.Make(5, 5);
        b.String(6)[2] = null;
        using var ms = new MemoryStream();
        using var w = new ParquetWriter(ms, TestData.AllTypes);
        var e = Assert.Throws<ArgumentException>(() => w.Write(b));
        Assert.Contains("'name'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_HighCardinalityStrings_FallsBackToPlainAndRoundTrips()
    {
        var schema = new ParquetSchema([new ParquetField("s", ParquetType.String, true)]);
        var b = new ColumnBatch(schema, 20000) { RowCount = 20000 };
        for (var r = 0; r < b.RowCount; r++)
        {
            b.String(0)[r] = r % 10 == 0 ? null : "value-" + r.ToString(System.Globalization.CultureInfo.InvariantCulture) + new string('x', r % 50);
            b.Valid(0)[r] = r % 10 != 0;
        }
        var bytes = TestData.Write(new ParquetWriterOptions { DictionaryPageSizeLimit = 10_000, PageSize = 8192 }, b);
        using var reader = new ParquetReader(bytes);
        TestData.AssertSame(b, 0, reader.ReadAll(), 0, b.RowCount);
    }
}

public class StatisticsAndSkippingTests
{
    [Fact]
    public void ReadOverlapping_RowGroupsOutsideRange_AreSkipped()
    {
        var schema = new ParquetSchema([new ParquetField("t", ParquetType.Int64), new ParquetField("v", ParquetType.Float, true)]);
        var b = new ColumnBatch(schema, 10_000) { RowCount = 10_000 };
        for (var r = 0; r < b.RowCount; r++)
        {
            b.Int64(0)[r] = r;
            b.Float(1)[r] = r * 0.5f;
            b.Valid(1)[r] = r % 10 != 0;
        }
        var bytes = TestData.Write(new ParquetWriterOptions { RowGroupSize = 1000 }, b);
        using var reader = new ParquetReader(bytes);
        Assert.Equal(10, reader.RowGroupCount);
        var st = reader.GetStatistics(3, "t")!;
        Assert.Equal(3000L, st.Min);
        Assert.Equal(3999L, st.Max);
        Assert.Equal(100L, reader.GetStatistics(3, "v")!.NullCount);
        Assert.False(reader.RowGroupMayContain(0, "t", 2500, 4200));
        Assert.True(reader.RowGroupMayContain(2, "t", 2500, 4200));
        var part = reader.ReadOverlapping("t", 2500, 4200, ["t"]);
        Assert.Equal(3000, part.RowCount); // row groups 2, 3 and 4
        Assert.Equal(2000L, part.Int64(0)[0]);
        Assert.Equal(4999L, part.Int64(0)[^1]);
    }

    [Fact]
    public void Statistics_NegativeZeroAndAllNaN_FollowTheSpec()
    {
        var schema = new ParquetSchema([new ParquetField("z", ParquetType.Double), new ParquetField("n", ParquetType.Float)]);
        var b = new ColumnBatch(schema, 3) { RowCount = 3 };
        b.Double(0)[0] = 0.0;
        b.Double(0)[1] = 0.0;
        b.Double(0)[2] = 0.0;
        b.Float(1).Fill(float.NaN);
        using var reader = new ParquetReader(TestData.Write(new ParquetWriterOptions(), b));
        var z = reader.GetStatistics(0, "z")!;
        Assert.True(double.IsNegative((double)z.Min!), "min of zeros is written as -0");
        Assert.False(double.IsNegative((double)z.Max!), "max of zeros is written as +0");
        var n = reader.GetStatistics(0, "n")!;
        Assert.Null(n.Min);
        Assert.Null(n.Max);
    }
}
