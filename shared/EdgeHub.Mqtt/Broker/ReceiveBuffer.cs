using System.Buffers;

namespace EdgeHub.Mqtt.Broker;

/// <summary>
/// The receive side of one broker connection. It holds no memory while the connection is quiet: with nothing buffered
/// it waits with a zero-byte read, rents a 64 KB array only when bytes arrive, and gives it back once every byte has been
/// handled. A pipe reader did the same reading but cost ~1 KB per connection even when idle (its own cancellation source
/// and the registration of every pending read), which an edge with 10,000 monitors connected pays 10,000 times.
/// A packet larger than the array grows it (up to the broker's maximum packet size, which the decoder enforces).
/// </summary>
internal sealed class ReceiveBuffer(Stream stream, int maxPacketSize)
{
    private const int ReadSize = 64 * 1024;
    private byte[] _buffer = [];
    private int _start, _end;

    /// <summary>Bytes received and not yet consumed (valid until the next <see cref="FillAsync"/> or <see cref="Release"/>).</summary>
    public ReadOnlySequence<byte> Data => new(_buffer, _start, _end - _start);

    /// <summary>Reads more bytes; false at the end of the stream. Throws what the stream throws (closed, reset).</summary>
    public async ValueTask<bool> FillAsync()
    {
        if (_start == _end)
        {
            Release();
            await stream.ReadAsync(Memory<byte>.Empty).ConfigureAwait(false);
            _buffer = ArrayPool<byte>.Shared.Rent(ReadSize);
        }
        else if (_end == _buffer.Length)
        {
            MakeRoom();
        }
        var n = await stream.ReadAsync(_buffer.AsMemory(_end)).ConfigureAwait(false);
        if (n == 0)
        {
            return false;
        }
        _end += n;
        return true;
    }

    /// <summary>Marks the first <paramref name="count"/> bytes of <see cref="Data"/> as handled.</summary>
    public void Consume(long count)
    {
        _start += (int)count;
        if (_start == _end)
        {
            _start = _end = 0;
        }
    }

    /// <summary>Gives the array back to the pool (between bursts, and when the connection ends).</summary>
    public void Release()
    {
        var b = _buffer;
        _buffer = [];
        _start = _end = 0;
        if (b.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(b);
        }
    }

    private void MakeRoom()
    {
        var pending = _end - _start;
        if (_start > 0)
        {
            // Keep the array, move the partial packet to its front.
            _buffer.AsSpan(_start, pending).CopyTo(_buffer);
        }
        else
        {
            // One partial packet fills the array: it is larger than the array (the decoder refused it if above the maximum).
            var limit = (long)maxPacketSize + 5;
            var size = (int)Math.Min(Math.Max(limit, ReadSize), (long)_buffer.Length * 2);
            if (size <= _buffer.Length)
            {
                throw new InvalidDataException($"a packet larger than {_buffer.Length} bytes (the maximum packet size) did not fit");
            }
            var bigger = ArrayPool<byte>.Shared.Rent(size);
            _buffer.AsSpan(0, pending).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
        }
        _start = 0;
        _end = pending;
    }
}
