using System.Buffers;

namespace EdgeHub.Mqtt.Broker;

/// <summary>
/// The receive buffer of one broker connection. It holds no memory while the connection is quiet: with nothing buffered
/// the read loop releases it and waits with a zero-byte read; a 64 KB array is rented only when bytes arrive and goes
/// back once every byte has been handled. A pipe reader did the same reading but cost ~1 KB per connection even when idle (its own cancellation source
/// and the registration of every pending read), which an edge with 10,000 monitors connected pays 10,000 times.
/// A packet larger than the array grows it (up to the broker's maximum packet size, which the decoder enforces).
/// </summary>
internal sealed class ReceiveBuffer(int maxPacketSize)
{
    private const int ReadSize = 64 * 1024;
    private byte[] _buffer = [];
    private int _start, _end;

    /// <summary>Bytes received and not yet consumed (valid until the next <see cref="ReadTarget"/> or <see cref="Release"/>).</summary>
    public ReadOnlySequence<byte> Data => new(_buffer, _start, _end - _start);

    /// <summary>True when nothing is buffered: the caller waits with a zero-byte read before <see cref="ReadTarget"/>.</summary>
    public bool IsEmpty => _start == _end;

    /// <summary>
    /// Where the next read goes: rents the array after a quiet wait, makes room behind a partial packet, or grows the
    /// array for a packet larger than it. (The read loop awaits the stream itself: an async helper here allocated a
    /// state machine on every read that waited.)
    /// </summary>
    public Memory<byte> ReadTarget()
    {
        if (_buffer.Length == 0)
        {
            _buffer = ArrayPool<byte>.Shared.Rent(ReadSize);
        }
        else if (_end == _buffer.Length)
        {
            MakeRoom();
        }
        return _buffer.AsMemory(_end);
    }

    /// <summary>Records <paramref name="count"/> bytes read into <see cref="ReadTarget"/>.</summary>
    public void Advance(int count) => _end += count;

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
            var size = (int)Math.Min((long)maxPacketSize + 5, (long)_buffer.Length * 2);
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
