using System.Buffers.Binary;
using EdgeHub.Parquet;

namespace EdgeHub.Parquet.Tests;

/// <summary>Truncated, mislabelled and corrupted files fail with <see cref="ParquetFormatException"/>, quickly and without big allocations.</summary>
public class HostileFileTests
{
    private static byte[] SmallFile(ParquetCompression codec = ParquetCompression.Snappy) =>
        TestData.Write(new ParquetWriterOptions { Compression = codec, RowGroupSize = 40, PageSize = 1024 }, TestData.Make(100, 9));

    private static void ReadEverything(byte[] bytes)
    {
        using var reader = new ParquetReader(bytes);
        for (var g = 0; g < reader.RowGroupCount; g++) reader.ReadRowGroup(g);
        for (var g = 0; g < reader.RowGroupCount; g++)
            foreach (var f in reader.Schema.Fields) reader.GetStatistics(g, f.Name);
    }

    [Fact]
    public void Open_EveryTruncatedPrefix_ThrowsFormatException()
    {
        var bytes = SmallFile();
        for (var len = 0; len < bytes.Length; len++)
        {
            var prefix = bytes.AsSpan(0, len).ToArray();
            Assert.Throws<ParquetFormatException>(() => ReadEverything(prefix));
        }
    }

    [Fact]
    public void Open_WrongMagic_SaysNotParquet()
    {
        var bytes = SmallFile();
        bytes[0] = (byte)'X';
        var e = Assert.Throws<ParquetFormatException>(() => new ParquetReader(bytes));
        Assert.Contains("PAR1", e.Message, StringComparison.Ordinal);
        var csv = "a,b,c\n1,2,3\n4,5,6\n"u8.ToArray();
        Assert.Throws<ParquetFormatException>(() => new ParquetReader(csv));
    }

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(-5)]
    [InlineData(0)]
    public void Open_FooterLengthPastTheEnd_ThrowsWithoutAllocating(int footerLength)
    {
        var bytes = SmallFile();
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(bytes.Length - 8), footerLength);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<ParquetFormatException>(() => new ParquetReader(bytes));
        Assert.Contains("footer length", e.Message, StringComparison.Ordinal);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
    }

    [Fact]
    public void Read_PageDeclaringHugeSizes_ThrowsWithoutAllocating()
    {
        // A single-column uncompressed file whose first page header is rewritten to declare 2 GB pages.
        var schema = new ParquetSchema([new ParquetField("x", ParquetType.Int64)]);
        var b = new ColumnBatch(schema, 10) { RowCount = 10 };
        var bytes = TestData.Write(new ParquetWriterOptions { Compression = ParquetCompression.Gzip }, b);
        // Page header starts at byte 4: field 1 (type) then field 2 (uncompressed size) as zigzag varints.
        var header = new List<byte> { 0x15, 0x00, 0x15, 0xFE, 0xFF, 0xFF, 0xFF, 0x0F, 0x15, 0xFE, 0xFF, 0xFF, 0xFF, 0x0F, 0x00 };
        var hostile = bytes.Take(4).Concat(header).Concat(bytes.Skip(4)).ToArray();
        var before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<ParquetFormatException>(() => ReadEverything(hostile));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20, "no allocation of the declared size");
    }

    [Theory]
    [InlineData(ParquetCompression.None)]
    [InlineData(ParquetCompression.Snappy)]
    [InlineData(ParquetCompression.Gzip)]
    [InlineData(ParquetCompression.Brotli)]
    public void Read_RandomByteCorruption_OnlyFormatExceptionsOrValidData(ParquetCompression codec)
    {
        var original = SmallFile(codec);
        var rnd = new Random(1234 + (int)codec);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        for (var i = 0; i < 3000 && DateTime.UtcNow < deadline; i++)
        {
            var bytes = (byte[])original.Clone();
            var flips = 1 + rnd.Next(4);
            for (var k = 0; k < flips; k++)
            {
                // Bias towards the footer and page headers, where structure lives.
                var pos = rnd.Next(3) == 0 ? bytes.Length - 8 - rnd.Next(Math.Min(400, bytes.Length - 8)) : 4 + rnd.Next(bytes.Length - 12);
                bytes[pos] = rnd.Next(4) switch { 0 => 0xFF, 1 => 0x00, 2 => (byte)(bytes[pos] ^ (1 << rnd.Next(8))), _ => (byte)rnd.Next(256) };
            }
            try
            {
                ReadEverything(bytes);
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
    public void Open_DeeplyNestedThrift_ThrowsFormatException()
    {
        // A footer made of 1000 nested struct fields.
        var footer = new List<byte>();
        for (var i = 0; i < 1000; i++) footer.Add(0x1C);
        var file = new List<byte>("PAR1"u8.ToArray());
        file.AddRange(footer);
        var len = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(len, footer.Count);
        file.AddRange(len);
        file.AddRange("PAR1"u8.ToArray());
        var e = Assert.Throws<ParquetFormatException>(() => new ParquetReader(file.ToArray()));
        Assert.Contains("nested deeper", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_NotSeekableStream_ThrowsArgumentException()
    {
        using var pipe = new NonSeekable();
        Assert.Throws<ArgumentException>(() => new ParquetReader(pipe));
    }

    private sealed class NonSeekable : MemoryStream
    {
        public override bool CanSeek => false;
    }
}
