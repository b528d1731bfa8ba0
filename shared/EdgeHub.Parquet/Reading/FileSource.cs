namespace EdgeHub.Parquet.Reading;

/// <summary>Random access to the file bytes: a seekable stream or an in-memory buffer.</summary>
internal abstract class FileSource : IDisposable
{
    public abstract long Length { get; }

    /// <summary>Returns <paramref name="length"/> bytes at <paramref name="offset"/>; may copy into <paramref name="scratch"/>.</summary>
    public abstract ReadOnlySpan<byte> Read(long offset, int length, ref byte[] scratch);

    public virtual void Dispose() => GC.SuppressFinalize(this);

    protected static void EnsureScratch(ref byte[] scratch, int length)
    {
        if (scratch.Length >= length) return;
        if (scratch.Length > 0) System.Buffers.ArrayPool<byte>.Shared.Return(scratch);
        scratch = System.Buffers.ArrayPool<byte>.Shared.Rent(length);
    }
}

internal sealed class MemorySource(ReadOnlyMemory<byte> data) : FileSource
{
    public override long Length => data.Length;

    public override ReadOnlySpan<byte> Read(long offset, int length, ref byte[] scratch) => data.Span.Slice((int)offset, length);
}

internal sealed class StreamSource : FileSource
{
    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly Lock _lock = new();

    public StreamSource(Stream stream, bool leaveOpen)
    {
        if (!stream.CanSeek || !stream.CanRead)
            throw new ArgumentException("the Parquet reader needs a readable, seekable stream (the footer is at the end)", nameof(stream));
        _stream = stream;
        _leaveOpen = leaveOpen;
        Length = stream.Length;
    }

    public override long Length { get; }

    public override ReadOnlySpan<byte> Read(long offset, int length, ref byte[] scratch)
    {
        EnsureScratch(ref scratch, length);
        lock (_lock)
        {
            _stream.Position = offset;
            var span = scratch.AsSpan(0, length);
            var total = 0;
            while (total < length)
            {
                var n = _stream.Read(span[total..]);
                if (n == 0) throw new ParquetFormatException($"file ended at byte {offset + total} while reading {length} bytes at {offset}");
                total += n;
            }
            return span;
        }
    }

    public override void Dispose()
    {
        if (!_leaveOpen) _stream.Dispose();
        base.Dispose();
    }
}
