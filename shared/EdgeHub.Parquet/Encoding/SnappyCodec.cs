using System.Numerics;
using System.Runtime.CompilerServices;

namespace EdgeHub.Parquet.Encoding;

/// <summary>
/// Raw Snappy block format (google/snappy format_description.txt): varint uncompressed length, then literals and copies.
/// Our own span-based codec so pages compress into pooled buffers without per-page allocations; the decoder checks every
/// length and offset against its input and output, so hostile pages fail with <see cref="ParquetFormatException"/>.
/// </summary>
internal static unsafe class SnappyCodec
{
    private const int BlockSize = 1 << 16;
    private const int HashBits = 14;

    public static int MaxCompressedLength(int length) => 32 + length + length / 6;

    /// <summary>Compresses <paramref name="input"/> into <paramref name="output"/> (at least <see cref="MaxCompressedLength"/>); returns bytes written.</summary>
    public static int Compress(ReadOnlySpan<byte> input, Span<byte> output)
    {
        var table = stackalloc ushort[1 << HashBits];
        fixed (byte* src = input)
        fixed (byte* dst0 = output)
        {
            var dst = dst0;
            var dstEnd = dst0 + output.Length;
            var len = (uint)input.Length;
            while (len >= 0x80)
            {
                *dst++ = (byte)(len | 0x80);
                len >>= 7;
            }
            *dst++ = (byte)len;
            for (var start = 0; start < input.Length; start += BlockSize)
            {
                var blockLen = Math.Min(BlockSize, input.Length - start);
                new Span<ushort>(table, 1 << HashBits).Clear();
                dst = CompressBlock(src + start, blockLen, dst, dstEnd, table);
            }
            return (int)(dst - dst0);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Hash(uint v) => (v * 0x1E35A7BDu) >> (32 - HashBits);

    private static byte* CompressBlock(byte* block, int length, byte* dst, byte* dstEnd, ushort* table)
    {
        var nextEmit = 0;
        if (length < 15) return EmitLiteral(dst, block, length);
        var limit = length - 15;
        var ip = 1;
        while (true)
        {
            var skip = 32;
            var nextIp = ip;
            int candidate;
            do
            {
                // After 32 misses in a row the step grows by 1/32 per probe (the heuristic of google/snappy's compressor):
                // incompressible stretches are crossed quickly, and the step resets at the next match.
                ip = nextIp;
                var step = skip >> 5;
                skip += step;
                nextIp = ip + step;
                if (nextIp > limit) goto Remainder;
                var h = Hash(Unsafe.ReadUnaligned<uint>(block + ip));
                candidate = table[h];
                table[h] = (ushort)ip;
            }
            while (Unsafe.ReadUnaligned<uint>(block + ip) != Unsafe.ReadUnaligned<uint>(block + candidate));

            // Inside the loop at least 15 input bytes follow ip, so a short literal may be copied as 16 bytes at once.
            var literal = ip - nextEmit;
            dst = literal <= 16 && dst + 17 <= dstEnd ? EmitShortLiteral(dst, block + nextEmit, literal) : EmitLiteral(dst, block + nextEmit, literal);
            while (true)
            {
                var matched = 4 + MatchLength(block + candidate + 4, block + ip + 4, block + length);
                dst = EmitCopy(dst, ip - candidate, matched);
                ip += matched;
                nextEmit = ip;
                if (ip >= limit) goto Remainder;
                table[Hash(Unsafe.ReadUnaligned<uint>(block + ip - 1))] = (ushort)(ip - 1);
                var h = Hash(Unsafe.ReadUnaligned<uint>(block + ip));
                candidate = table[h];
                table[h] = (ushort)ip;
                if (Unsafe.ReadUnaligned<uint>(block + ip) != Unsafe.ReadUnaligned<uint>(block + candidate)) break;
            }
            ip++;
        }
    Remainder:
        return nextEmit < length ? EmitLiteral(dst, block + nextEmit, length - nextEmit) : dst;
    }

    private static int MatchLength(byte* a, byte* b, byte* end)
    {
        var start = b;
        while (b + 8 <= end)
        {
            var x = Unsafe.ReadUnaligned<ulong>(a) ^ Unsafe.ReadUnaligned<ulong>(b);
            if (x != 0) return (int)(b - start) + (BitOperations.TrailingZeroCount(x) >> 3);
            a += 8;
            b += 8;
        }
        while (b < end && *a == *b)
        {
            a++;
            b++;
        }
        return (int)(b - start);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte* EmitShortLiteral(byte* dst, byte* src, int length)
    {
        *dst++ = (byte)((length - 1) << 2);
        Unsafe.CopyBlockUnaligned(dst, src, 16);
        return dst + length;
    }

    private static byte* EmitLiteral(byte* dst, byte* src, int length)
    {
        if (length == 0) return dst;
        var n = length - 1;
        if (n < 60) *dst++ = (byte)(n << 2);
        else if (n < 1 << 8) { *dst++ = 60 << 2; *dst++ = (byte)n; }
        else if (n < 1 << 16) { *dst++ = 61 << 2; *dst++ = (byte)n; *dst++ = (byte)(n >> 8); }
        else if (n < 1 << 24) { *dst++ = 62 << 2; *dst++ = (byte)n; *dst++ = (byte)(n >> 8); *dst++ = (byte)(n >> 16); }
        else { *dst++ = 63 << 2; Unsafe.WriteUnaligned(dst, n); dst += 4; }
        Buffer.MemoryCopy(src, dst, length, length);
        return dst + length;
    }

    private static byte* EmitCopy(byte* dst, int offset, int length)
    {
        while (length >= 68)
        {
            dst = EmitCopy2(dst, offset, 64);
            length -= 64;
        }
        if (length > 64)
        {
            dst = EmitCopy2(dst, offset, 60);
            length -= 60;
        }
        if (length < 12 && offset < 2048)
        {
            *dst++ = (byte)(1 | ((length - 4) << 2) | ((offset >> 8) << 5));
            *dst++ = (byte)offset;
            return dst;
        }
        return EmitCopy2(dst, offset, length);
    }

    private static byte* EmitCopy2(byte* dst, int offset, int length)
    {
        *dst++ = (byte)(2 | ((length - 1) << 2));
        *dst++ = (byte)offset;
        *dst++ = (byte)(offset >> 8);
        return dst;
    }

    /// <summary>Reads the uncompressed length from the preamble.</summary>
    public static int UncompressedLength(ReadOnlySpan<byte> input, out int headerLength)
    {
        ulong v = 0;
        for (var i = 0; i < 5 && i < input.Length; i++)
        {
            v |= (ulong)(input[i] & 0x7F) << (7 * i);
            if ((input[i] & 0x80) == 0)
            {
                headerLength = i + 1;
                if (v > int.MaxValue) break;
                return (int)v;
            }
        }
        throw new ParquetFormatException("Snappy: invalid uncompressed-length preamble");
    }

    /// <summary>
    /// Decompresses into exactly <paramref name="output"/>.Length bytes. Every length and offset is checked before use; short
    /// literals and copies move 16 bytes at once when both buffers have that much room left (the overshoot is overwritten
    /// by what follows, or lies past the op position the final length check counts).
    /// </summary>
    public static void Decompress(ReadOnlySpan<byte> input, Span<byte> output)
    {
        var expected = UncompressedLength(input, out var header);
        if (expected != output.Length)
            throw new ParquetFormatException($"Snappy: block says {expected} bytes uncompressed, page header says {output.Length}");
        fixed (byte* src = input)
        fixed (byte* dst = output)
        {
            var ip = src + header;
            var ipEnd = src + input.Length;
            var op = dst;
            var opEnd = dst + output.Length;
            while (ip < ipEnd)
            {
                uint tag = *ip++;
                long length;
                long offset;
                switch (tag & 3)
                {
                    case 0:
                        length = (tag >> 2) + 1;
                        if (length <= 16 && ipEnd - ip >= 16 && opEnd - op >= 16)
                        {
                            Unsafe.CopyBlockUnaligned(op, ip, 16);
                            ip += length;
                            op += length;
                            continue;
                        }
                        if (length > 60)
                        {
                            var extra = (int)length - 60;
                            if (extra > ipEnd - ip) throw Corrupt("literal length truncated");
                            uint v = 0;
                            for (var k = 0; k < extra; k++) v |= (uint)ip[k] << (8 * k);
                            ip += extra;
                            length = (long)v + 1;
                        }
                        if (length > ipEnd - ip || length > opEnd - op) throw Corrupt("literal runs past the end");
                        Buffer.MemoryCopy(ip, op, opEnd - op, length);
                        ip += length;
                        op += length;
                        continue;
                    case 1:
                        if (ip >= ipEnd) throw Corrupt("copy truncated");
                        length = 4 + ((tag >> 2) & 7);
                        offset = ((tag >> 5) << 8) | *ip++;
                        break;
                    case 2:
                        if (ipEnd - ip < 2) throw Corrupt("copy truncated");
                        length = (tag >> 2) + 1;
                        offset = Unsafe.ReadUnaligned<ushort>(ip);
                        ip += 2;
                        break;
                    default:
                        if (ipEnd - ip < 4) throw Corrupt("copy truncated");
                        length = (tag >> 2) + 1;
                        offset = Unsafe.ReadUnaligned<uint>(ip);
                        ip += 4;
                        break;
                }
                if (offset == 0 || offset > op - dst) throw Corrupt($"copy offset {offset} outside the {op - dst} bytes produced");
                if (length > opEnd - op) throw Corrupt("copy runs past the end of the output");
                var from = op - offset;
                if (offset >= 8 && length <= 16 && opEnd - op >= 16)
                {
                    // Two 8-byte moves: with offset >= 8 the second one reads only bytes already in place.
                    Unsafe.WriteUnaligned(op, Unsafe.ReadUnaligned<ulong>(from));
                    Unsafe.WriteUnaligned(op + 8, Unsafe.ReadUnaligned<ulong>(from + 8));
                }
                else if (offset >= length) Buffer.MemoryCopy(from, op, length, length);
                else
                    for (var k = 0; k < length; k++) op[k] = from[k]; // overlapping: the pattern repeats byte by byte
                op += length;
            }
            if (op != opEnd) throw Corrupt($"produced {op - dst} bytes, expected {output.Length}");
        }
    }

    private static ParquetFormatException Corrupt(string what) => new($"Snappy: corrupt block ({what})");
}
