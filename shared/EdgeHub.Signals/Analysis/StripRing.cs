using System.Numerics;

namespace EdgeHub.Signals;

/// <summary>
/// A lossless ring of the last <see cref="Capacity"/> int16 samples, stored as zigzag varints of the sample-to-sample
/// difference: the clinician strip an <see cref="EcgStreamAnalyzer"/> keeps for every device, which at thousands of devices
/// was the edge's largest single item (2 bytes a sample). ECG in µV moves little between samples, so most differences take
/// one byte (MIT-BIH at 250 Hz: 1.05–1.17 bytes a sample) and the ring holds 6 s at 250 Hz in about 1.9 KB instead of 3 KB.
/// </summary>
/// <remarks>
/// <para>
/// Every sample is exact: differences are taken modulo 2^16 (as int16), so any step, even −32768 → 32767, is one to three
/// bytes and decodes back to the same value. The oldest sample is held absolutely (<c>_first</c>) with the newest
/// (<c>_last</c>); the bytes between them are the differences in order. When the ring is full, adding a sample decodes one
/// difference at the tail into <c>_first</c> and drops it, so the ring holds exactly the last <see cref="Capacity"/>
/// samples with no key frames or block table.
/// </para>
/// <para>
/// The byte array starts at 1.25 bytes a sample. A signal that needs more (noise, fast swings) grows it by a quarter at a
/// time, never past the worst case of 3 bytes a difference, and shrinks back once the signal calms (checked once per pass
/// of the write position): <see cref="Add"/> allocates only when the signal's character changes.
/// </para>
/// <para>Not thread-safe: one owner.</para>
/// </remarks>
public sealed class StripRing
{
    private const int MaxBytesPerDifference = 3; // zigzag of an int16 difference is < 2^16: 7 + 7 + 2 bits

    private byte[] _bytes;
    private int _capacity, _count;
    private int _tail, _head, _used; // byte offsets of the oldest difference and of the next write; bytes in use
    private short _first, _last;     // the oldest and newest samples held

    /// <summary>Creates an empty ring holding up to <paramref name="capacity"/> samples (at least 1).</summary>
    public StripRing(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
        _bytes = new byte[InitialBytes(capacity)];
    }

    /// <summary>Most samples held: older ones are dropped as new ones arrive.</summary>
    public int Capacity => _capacity;

    /// <summary>Samples held now (up to <see cref="Capacity"/>).</summary>
    public int Count => _count;

    /// <summary>Length of the byte array holding the differences (grows and shrinks with the signal's needs).</summary>
    public int ByteCapacity => _bytes.Length;

    /// <summary>Bytes of differences in use.</summary>
    public int BytesUsed => _used;

    /// <summary>Managed bytes this ring holds (object and array headers included), for capacity planning.</summary>
    public int ApproximateBytes => 56 + 24 + _bytes.Length;

    /// <summary>The most bytes the array can need for <paramref name="capacity"/> samples: 3 bytes a difference.</summary>
    public static int WorstCaseBytes(int capacity) => Math.Max(1, (capacity - 1) * MaxBytesPerDifference);

    /// <summary>Empties the ring and sets its capacity (a new sample rate); keeps the array when the capacity is unchanged.</summary>
    public void Reset(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        if (capacity != _capacity)
        {
            _capacity = capacity;
            _bytes = new byte[InitialBytes(capacity)];
        }

        _count = _tail = _head = _used = 0;
        _first = _last = 0;
    }

    /// <summary>Appends one sample, dropping the oldest when the ring is full.</summary>
    public void Add(short sample)
    {
        // Zigzag of the difference modulo 2^16: small steps of either sign become small unsigned numbers.
        int difference = (short)(sample - _last);
        var zigzag = (uint)((difference << 1) ^ (difference >> 31));
        var bytes = _bytes;
        var count = _count;
        if (count == _capacity)
        {
            if (count == 1)
            {
                _first = _last = sample; // a ring of one: no difference to store
                return;
            }

            var tail = _tail;
            int oldest = bytes[tail];
            if (((uint)oldest | zigzag) < 0x80)
            {
                // The steady state's common case (most ECG steps are under 64 µV): a one-byte difference leaves at the
                // tail and one enters at the head, so the count and the bytes in use stay as they are.
                _first = (short)(_first + Unzigzag((uint)oldest));
                _tail = tail + 1 == bytes.Length ? 0 : tail + 1;
                _last = sample;
                WriteOneByte(bytes, zigzag);
                return;
            }

            DropOldest();
        }
        else if (count == 0)
        {
            _first = _last = sample;
            _count = 1;
            return;
        }

        _last = sample;
        _count++;
        if (zigzag < 0x80 && _used < bytes.Length)
        {
            _used++;
            WriteOneByte(bytes, zigzag);
        }
        else
        {
            AppendDifference(zigzag);
        }
    }

    /// <summary>
    /// Copies the latest min(<see cref="Count"/>, destination length) samples, oldest first, into
    /// <paramref name="destination"/>; returns how many were written.
    /// </summary>
    public int CopyLatest(Span<short> destination) => Decode(destination);

    /// <summary>As <see cref="CopyLatest(Span{short})"/>, writing each sample's value as a float (exact for int16).</summary>
    public int CopyLatest(Span<float> destination) => Decode(destination);

    private int Decode<T>(Span<T> destination)
        where T : INumberBase<T>
    {
        var n = Math.Min(_count, destination.Length);
        var skip = _count - n;
        var value = _first;
        var position = _tail;
        for (var i = 0; i < _count; i++)
        {
            if (i > 0)
            {
                value = (short)(value + ReadDifference(ref position, out _));
            }

            if (i >= skip)
            {
                destination[i - skip] = T.CreateTruncating(value);
            }
        }

        return n;
    }

    /// <summary>Writes a one-byte difference at the head (the caller accounts for it).</summary>
    private void WriteOneByte(byte[] bytes, uint zigzag)
    {
        var head = _head;
        bytes[head] = (byte)zigzag;
        if (++head == bytes.Length)
        {
            _head = 0;
            ShrinkIfOversized();
        }
        else
        {
            _head = head;
        }
    }

    /// <summary>Writes one difference as a varint at the head, growing the array first when it has no room.</summary>
    private void AppendDifference(uint zigzag)
    {
        var length = zigzag < 0x80 ? 1 : zigzag < 0x4000 ? 2 : 3;
        if (_used + length > _bytes.Length)
        {
            Resize(Math.Min(WorstCaseBytes(_capacity), Math.Max(_used + length, _bytes.Length + _bytes.Length / 4)));
        }

        var bytes = _bytes;
        var head = _head;
        var wrapped = false;
        while (true)
        {
            var more = zigzag >= 0x80;
            bytes[head] = (byte)(more ? zigzag | 0x80 : zigzag);
            if (++head == bytes.Length)
            {
                head = 0;
                wrapped = true;
            }

            if (!more)
            {
                break;
            }

            zigzag >>= 7;
        }

        _head = head;
        _used += length;
        if (wrapped)
        {
            ShrinkIfOversized();
        }
    }

    private void DropOldest()
    {
        var position = _tail;
        _first = (short)(_first + ReadDifference(ref position, out var length));
        _tail = position;
        _used -= length;
        _count--;
    }

    /// <summary>Reads the difference at <paramref name="position"/> and moves past it (wrapping at the array's end).</summary>
    private int ReadDifference(ref int position, out int length)
    {
        uint zigzag = 0;
        var shift = 0;
        length = 0;
        byte b;
        do
        {
            b = _bytes[position];
            position = position + 1 == _bytes.Length ? 0 : position + 1;
            zigzag |= (uint)(b & 0x7F) << shift;
            shift += 7;
            length++;
        }
        while ((b & 0x80) != 0);

        return Unzigzag(zigzag);
    }

    private static int Unzigzag(uint zigzag) => (int)(zigzag >> 1) ^ -(int)(zigzag & 1);

    /// <summary>
    /// Once per pass of the write position: gives back an array the signal stopped needing after a noisy stretch. Back to
    /// the starting size once the differences fit it with a sixteenth to spare; to 1.25 times what is used while that is
    /// under half the array. The margins keep a signal near a boundary from reallocating on every pass.
    /// </summary>
    private void ShrinkIfOversized()
    {
        var initial = InitialBytes(_capacity);
        if (_bytes.Length <= initial)
        {
            return;
        }

        if (_used <= initial - initial / 16)
        {
            Resize(initial);
        }
        else if (_used + _used / 4 <= _bytes.Length / 2)
        {
            Resize(_used + _used / 4);
        }
    }

    /// <summary>Moves the differences, oldest first, to the start of a new array of <paramref name="length"/> bytes.</summary>
    private void Resize(int length)
    {
        var bytes = new byte[length];
        var firstPart = Math.Min(_used, _bytes.Length - _tail);
        _bytes.AsSpan(_tail, firstPart).CopyTo(bytes);
        _bytes.AsSpan(0, _used - firstPart).CopyTo(bytes.AsSpan(firstPart));
        _bytes = bytes;
        _tail = 0;
        _head = _used % length;
    }

    /// <summary>1.25 bytes a sample (typical ECG needs 1.05–1.2), never more than the worst case.</summary>
    private static int InitialBytes(int capacity) => Math.Min(WorstCaseBytes(capacity), capacity + capacity / 4 + 16);
}
