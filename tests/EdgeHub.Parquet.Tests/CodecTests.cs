using EdgeHub.Parquet.Encoding;

namespace EdgeHub.Parquet.Tests;

/// <summary>
/// Our Snappy block codec against the IronSnappy reference (both directions), and the RLE/bit-packed hybrid at every bit
/// width: the page encoders every written file depends on.
/// </summary>
public sealed class CodecTests
{
    public static TheoryData<string> SnappyInputs => new(["empty", "one", "short", "random", "zeros", "text", "floats", "indices", "blocks", "overlap"]);

    private static byte[] Input(string kind)
    {
        var rnd = new Random(kind.GetHashCode(StringComparison.Ordinal) & 0x7FFF);
        switch (kind)
        {
            case "empty": return [];
            case "one": return [42];
            case "short": return "abcabcabcabc"u8.ToArray();
            case "random":
                {
                    var b = new byte[200_000];
                    rnd.NextBytes(b);
                    return b;
                }
            case "zeros": return new byte[300_001];
            case "text":
                {
                    var sb = new System.Text.StringBuilder();
                    while (sb.Length < 150_000) sb.Append("ehub/v1/devices/dev-").Append(rnd.Next(500)).Append("/telemetry ");
                    return System.Text.Encoding.UTF8.GetBytes(sb.ToString());
                }
            case "floats":
                {
                    // Feature-like PLAIN floats: rounded values share high bytes, so matches are short and frequent.
                    var f = new float[60_000];
                    for (var i = 0; i < f.Length; i++) f[i] = MathF.Round(80 + (float)rnd.NextDouble() * 20, 2);
                    return System.Runtime.InteropServices.MemoryMarshal.AsBytes(f.AsSpan()).ToArray();
                }
            case "indices":
                {
                    // Bit-packed dictionary indices: nearly incompressible.
                    var b = new byte[140_000];
                    rnd.NextBytes(b);
                    for (var i = 0; i < b.Length; i += 13) b[i] = 0;
                    return b;
                }
            case "blocks":
                {
                    // A 100 KB pattern repeated: matches exist only across the 64 KB block boundary, which Snappy may not use.
                    var unit = new byte[100_000];
                    rnd.NextBytes(unit);
                    return [.. unit, .. unit, .. unit.AsSpan(0, 77_777)];
                }
            default:
                {
                    // Runs and short periods: copies whose offset is smaller than their length (overlapping copies).
                    var b = new byte[70_000];
                    for (var i = 0; i < b.Length; i++) b[i] = (byte)(i / 1000 % 2 == 0 ? i % 3 : 7);
                    return b;
                }
        }
    }

    [Theory]
    [MemberData(nameof(SnappyInputs))]
    public void SnappyCompress_DecodedByIronSnappy_SameBytes(string kind)
    {
        var input = Input(kind);
        var buffer = new byte[SnappyCodec.MaxCompressedLength(input.Length)];
        var n = SnappyCodec.Compress(input, buffer);
        var decoded = IronSnappy.Snappy.Decode(buffer.AsSpan(0, n));
        Assert.Equal(input, decoded);
        if (kind is "zeros" or "text" or "overlap") Assert.True(n < input.Length / 4, $"{kind}: {n} bytes from {input.Length}: compressible input must shrink");
    }

    [Theory]
    [MemberData(nameof(SnappyInputs))]
    public void SnappyDecompress_IronSnappyOutput_SameBytes(string kind)
    {
        var input = Input(kind);
        var compressed = IronSnappy.Snappy.Encode(input);
        var output = new byte[input.Length];
        SnappyCodec.Decompress(compressed, output);
        Assert.Equal(input, output);
        // And our own output back through our decoder.
        var ours = new byte[SnappyCodec.MaxCompressedLength(input.Length)];
        var n = SnappyCodec.Compress(input, ours);
        var back = new byte[input.Length];
        SnappyCodec.Decompress(ours.AsSpan(0, n), back);
        Assert.Equal(input, back);
    }

    [Fact]
    public void SnappyDecompress_WrongDeclaredLength_ClearError()
    {
        var compressed = IronSnappy.Snappy.Encode(Input("text"));
        var e = Assert.Throws<ParquetFormatException>(() => SnappyCodec.Decompress(compressed, new byte[10]));
        Assert.Contains("page header says 10", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("text")]
    [InlineData("overlap")]
    [InlineData("floats")]
    public void SnappyDecompress_TruncatedOrMutatedBlocks_OnlyFormatExceptions(string kind)
    {
        var input = Input(kind);
        var compressed = IronSnappy.Snappy.Encode(input);
        var output = new byte[input.Length];
        // Every prefix is missing bytes the block declares.
        for (var cut = 0; cut < compressed.Length; cut += 1 + cut / 64)
            Assert.Throws<ParquetFormatException>(() => SnappyCodec.Decompress(compressed.AsSpan(0, cut), output));
        var rnd = new Random(kind.Length);
        for (var i = 0; i < 3000; i++)
        {
            var bytes = (byte[])compressed.Clone();
            for (var k = 1 + rnd.Next(3); k > 0; k--)
            {
                var pos = rnd.Next(bytes.Length);
                bytes[pos] = rnd.Next(2) == 0 ? (byte)rnd.Next(256) : (byte)(bytes[pos] ^ (1 << rnd.Next(8)));
            }
            try
            {
                SnappyCodec.Decompress(bytes, output);
            }
            catch (ParquetFormatException)
            {
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(1000)]
    [InlineData(4099)]
    public void RleBitPacked_EveryBitWidth_RoundTrips(int count)
    {
        var rnd = new Random(count);
        for (var width = 0; width <= 32; width++)
        {
            var values = new int[count];
            var max = width == 32 ? uint.MaxValue : (1u << width) - 1;
            for (var i = 0; i < count; i++)
            {
                // Mix runs (RLE) with random stretches (bit-packed), including the extreme values of the width.
                values[i] = i % 50 < 20 && i > 0 ? values[i - 1] : (int)(i % 17 == 0 ? max : (uint)(rnd.NextInt64(0, (long)max + 1)));
            }
            using var buffer = new ByteBuffer();
            RleBitPackedHybrid.Encode(values, width, buffer);
            var decoded = new int[count];
            var used = RleBitPackedHybrid.Decode(buffer.WrittenSpan, width, decoded, "test");
            Assert.Equal(buffer.Length, used);
            for (var i = 0; i < count; i++)
                if (values[i] != decoded[i]) Assert.Fail($"width {width}, value {i}: wrote {values[i]}, read {decoded[i]}");
        }
    }

    [Fact]
    public void RleBitPacked_KnownBytes_MatchSpecExample()
    {
        // Encodings.md bit-packing example: values 0..7 at bit width 3 pack to 10001000 11000110 11111010.
        using var buffer = new ByteBuffer();
        RleBitPackedHybrid.Encode([0, 1, 2, 3, 4, 5, 6, 7], 3, buffer);
        Assert.Equal(new byte[] { 0x03, 0b10001000, 0b11000110, 0b11111010 }, buffer.WrittenSpan.ToArray());
    }
}
