using System.IO.Compression;
using EdgeHub.Parquet.Format;

namespace EdgeHub.Parquet.Encoding;

/// <summary>Page compression and decompression for the codecs we support.</summary>
internal static class PageCodecs
{
    public static Codec ToCodec(ParquetCompression c) => c switch
    {
        ParquetCompression.None => Codec.Uncompressed,
        ParquetCompression.Snappy => Codec.Snappy,
        ParquetCompression.Gzip => Codec.Gzip,
        _ => Codec.Brotli,
    };

    /// <summary>Appends the compressed form of <paramref name="input"/> to <paramref name="output"/>; returns its length.</summary>
    public static int Compress(Codec codec, ReadOnlySpan<byte> input, ByteBuffer output, int brotliQuality)
    {
        switch (codec)
        {
            case Codec.Uncompressed:
                output.Write(input);
                return input.Length;
            case Codec.Snappy:
                {
                    var n = SnappyCodec.Compress(input, output.GetSpan(SnappyCodec.MaxCompressedLength(input.Length)));
                    output.Advance(n);
                    return n;
                }
            case Codec.Gzip:
                {
                    var before = output.Length;
                    using (var gz = new GZipStream(new ByteBufferStream(output), CompressionLevel.Fastest, leaveOpen: false))
                        gz.Write(input);
                    return output.Length - before;
                }
            case Codec.Brotli:
                {
                    var max = BrotliEncoder.GetMaxCompressedLength(input.Length);
                    if (!BrotliEncoder.TryCompress(input, output.GetSpan(max), out var n, brotliQuality, 22))
                        throw new InvalidOperationException("Brotli compression failed");
                    output.Advance(n);
                    return n;
                }
            default:
                throw new NotSupportedException($"codec {codec} is not supported for writing");
        }
    }

    /// <summary>Decompresses a page body into exactly <paramref name="output"/>.Length bytes.</summary>
    public static void Decompress(Codec codec, ReadOnlySpan<byte> input, Span<byte> output, string context)
    {
        if (input.IsEmpty && codec is Codec.Gzip or Codec.Brotli or Codec.Snappy)
        {
            if (output.IsEmpty) return;
            throw new ParquetFormatException($"{context}: empty {codec} page body cannot hold the {output.Length} bytes its header declares");
        }
        try
        {
            switch (codec)
            {
                case Codec.Uncompressed:
                    if (input.Length != output.Length)
                        throw new ParquetFormatException($"{context}: uncompressed page is {input.Length} bytes but its header says {output.Length}");
                    input.CopyTo(output);
                    return;
                case Codec.Snappy:
                    SnappyCodec.Decompress(input, output);
                    return;
                case Codec.Gzip:
                    unsafe
                    {
                        fixed (byte* p = input)
                        {
                            using var ms = new UnmanagedMemoryStream(p, input.Length);
                            using var gz = new GZipStream(ms, CompressionMode.Decompress);
                            ReadExactly(gz, output, context);
                        }
                    }
                    return;
                case Codec.Brotli:
                    {
                        using var dec = new BrotliDecoder();
                        // An empty page body (an all-null v2 page) compresses to a few bytes; the decoder reports an empty
                        // destination as too small even when the stream holds nothing, so give it one spare byte to prove it.
                        Span<byte> spare = stackalloc byte[1];
                        var status = dec.Decompress(input, output.IsEmpty ? spare : output, out _, out var written);
                        if (status != System.Buffers.OperationStatus.Done || written != output.Length)
                            throw new ParquetFormatException($"{context}: Brotli data is corrupt or does not decompress to the {output.Length} bytes the page header declares ({status}, {written} bytes)");
                        return;
                    }
                default:
                    throw new ParquetFormatException($"{context}: codec {codec} is not supported (supported: UNCOMPRESSED, SNAPPY, GZIP, BROTLI); rewrite the file with one of these");
            }
        }
        catch (InvalidDataException e)
        {
            throw new ParquetFormatException($"{context}: {codec} data is corrupt ({e.Message})", e);
        }
    }

    private static void ReadExactly(Stream s, Span<byte> output, string context)
    {
        var total = 0;
        while (total < output.Length)
        {
            var n = s.Read(output[total..]);
            if (n == 0) throw new ParquetFormatException($"{context}: GZIP data ends after {total} of the {output.Length} bytes the page header declares");
            total += n;
        }
        Span<byte> one = stackalloc byte[1];
        if (s.Read(one) != 0) throw new ParquetFormatException($"{context}: GZIP data holds more than the {output.Length} bytes the page header declares");
    }
}

/// <summary>A write-only stream appending to a <see cref="ByteBuffer"/> (for GZipStream).</summary>
internal sealed class ByteBufferStream(ByteBuffer target) : Stream
{
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => target.Length;
    public override long Position { get => target.Length; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => target.Write(buffer.AsSpan(offset, count));
    public override void Write(ReadOnlySpan<byte> buffer) => target.Write(buffer);
}
