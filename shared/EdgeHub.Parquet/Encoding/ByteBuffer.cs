using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EdgeHub.Parquet.Encoding;

/// <summary>A growable byte buffer on pooled arrays; the writer's scratch space for pages and chunks.</summary>
internal sealed class ByteBuffer : IDisposable
{
    private byte[] _buffer;

    public ByteBuffer(int initialCapacity = 4096) => _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(initialCapacity, 256));

    public int Length { get; private set; }

    public Span<byte> WrittenSpan => _buffer.AsSpan(0, Length);

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, Length);

    public void Clear() => Length = 0;

    /// <summary>Space for at least <paramref name="size"/> more bytes, to be committed with <see cref="Advance"/>.</summary>
    public Span<byte> GetSpan(int size)
    {
        Ensure(size);
        return _buffer.AsSpan(Length);
    }

    public void Advance(int count) => Length += count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteByte(byte b)
    {
        if (Length == _buffer.Length) Ensure(1);
        _buffer[Length++] = b;
    }

    public void Write(ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(Length));
        Length += bytes.Length;
    }

    public void WriteInt32LE(int value)
    {
        Ensure(4);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(Length), value);
        Length += 4;
    }

    /// <summary>Appends unmanaged values in little-endian order (the machine is little-endian; checked at startup).</summary>
    public void WriteValues<T>(ReadOnlySpan<T> values) where T : unmanaged => Write(MemoryMarshal.AsBytes(values));

    public void WriteUleb128(ulong value)
    {
        Ensure(10);
        while (value >= 0x80)
        {
            _buffer[Length++] = (byte)(value | 0x80);
            value >>= 7;
        }
        _buffer[Length++] = (byte)value;
    }

    private void Ensure(int size)
    {
        if (_buffer.Length - Length >= size) return;
        var needed = (long)Length + size;
        var newSize = Math.Max(needed, (long)_buffer.Length * 2);
        if (newSize > Array.MaxLength) newSize = Math.Max(needed, Array.MaxLength);
        if (newSize > Array.MaxLength) throw new InvalidOperationException("buffer would exceed the maximum array size; use smaller row groups or pages");
        var next = ArrayPool<byte>.Shared.Rent((int)newSize);
        _buffer.AsSpan(0, Length).CopyTo(next);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = next;
    }

    public void Dispose()
    {
        if (_buffer.Length == 0) return;
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
        Length = 0;
    }
}
