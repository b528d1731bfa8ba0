using System.Buffers;

namespace EdgeHub.Mqtt.Broker;

/// <summary>
/// The receive buffer of one broker connection. It holds no memory while the connection is quiet: with nothing buffered
/// the read loop releases it and waits with a zero-byte read; an array is rented only when bytes arrive and goes back once
/// every byte has been handled. A pipe reader did the same reading but cost ~1 KB per connection even when idle (its own
/// cancellation source and the registration of every pending read), which an edge with 10,000 monitors connected pays
/// 10,000 times.
/// The array rented is sized from the connection's recent reads (Netty's adaptive receive allocator is the model): 4 KB
/// to start, doubled while reads fill it, halved while they use under a quarter of it, between 4 and 64 KB. A monitor
/// sending one frame a second reads under 1 KB at a time; renting 64 KB for it cost 10,000 x 64 KB whenever many
/// connections held their array at once (a connection storm at start-up: hundreds of MB of arrays, most of them garbage
/// when the shared pool was full), while a connection carrying many devices still reads 64 KB at a time.
/// A packet larger than the array grows it (up to the broker's maximum packet size, which the decoder enforces).
/// </summary>
internal sealed class ReceiveBuffer(int maxPacketSize)
{
    internal const int MinReadSize = 4 * 1024;
    internal const int MaxReadSize = 64 * 1024;
    private byte[] _buffer = [];
    private int _start, _end;
    private int _readSize = MinReadSize;
    private int _lastTarget;

    /// <summary>The size the next rented array will have (adapted to the reads so far).</summary>
    internal int ReadSize => _readSize;

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
            _buffer = ArrayPool<byte>.Shared.Rent(_readSize);
        }
        else if (_end == _buffer.Length)
        {
            MakeRoom();
        }
        _lastTarget = _buffer.Length - _end;
        return _buffer.AsMemory(_end);
    }

    /// <summary>Records <paramref name="count"/> bytes read into <see cref="ReadTarget"/>, and adapts the next array's size.</summary>
    public void Advance(int count)
    {
        _end += count;
        if (count >= _lastTarget && count >= _readSize / 2 && _readSize < MaxReadSize)
        {
            // The read filled what it was given (and that was a real share of the array): more is probably waiting.
            _readSize *= 2;
        }
        else if (count < _readSize / 4 && _readSize > MinReadSize)
        {
            _readSize /= 2;
        }
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
