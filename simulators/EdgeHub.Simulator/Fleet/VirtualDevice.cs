using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using EdgeHub.Contracts;

namespace EdgeHub.Simulator;

/// <summary>
/// One simulated monitor: identity, what it measures, its frame counter and encode buffer, its clock faults, the
/// send times of its recent frames (for latency by sequence number) and its queue of frames held back while offline or
/// bursting. Touched by one scheduler loop, except the send-time ring, which feedback handlers read lock-free.
/// </summary>
internal sealed class VirtualDevice
{
    private const int RingSize = 128;
    private const int MaxQueued = 300;
    private readonly long[] _sentTicks = new long[RingSize];
    private readonly uint[] _sentSeq = new uint[RingSize];   // seq + 1 of the frame in the slot, 0 = free or consumed
    private readonly Queue<(byte[] Buffer, int Length, uint Seq)> _held = new();

    public VirtualDevice(int index, string deviceId, string siteId, string patientId, string bed, ITelemetrySource source,
        IDeviceTruth truth, double offsetSeconds, string? cohort)
    {
        Index = index;
        DeviceId = deviceId;
        Topic = Topics.Telemetry(deviceId);
        FeedbackTopic = Topics.Feedback(deviceId);
        Source = source;
        Truth = truth;
        OffsetSeconds = offsetSeconds;
        Cohort = cohort;
        Frame = new TelemetryFrame { PatientId = patientId, SiteId = siteId, Bed = bed, SampleRate = source.SampleRate };
        Buffer = new byte[TelemetryCodec.HeaderSize + (3 * Ids.MaxLength) + (2 * TelemetryFrame.MaxSamples)];
    }

    public int Index { get; }
    public string DeviceId { get; }
    public string Topic { get; }
    public string FeedbackTopic { get; }
    public ITelemetrySource Source { get; }
    public IDeviceTruth Truth { get; }
    public string? Cohort { get; }
    /// <summary>Run time of the first sample (devices are staggered over one frame period).</summary>
    public double OffsetSeconds { get; }
    public TelemetryFrame Frame { get; }
    public byte[] Buffer { get; private set; }
    public int Length { get; private set; }
    public long FramesProduced { get; private set; }
    public uint Sequence { get; private set; }
    public DeviceConnection? Connection { get; set; }
    public long SkewMicros { get; set; }
    public double DriftPpm { get; set; }
    /// <summary>Stopwatch timestamp until which frames are held (burst fault).</summary>
    public long HoldUntil { get; set; }
    public int HeldCount => _held.Count;

    /// <summary>Renders frame number <see cref="FramesProduced"/> and encodes it into <see cref="Buffer"/>.</summary>
    public void Produce(long runStartMicros, double framesPerSecond, List<BeatMark>? beats)
    {
        var rate = Source.SampleRate;
        var from = (long)Math.Floor(FramesProduced * rate / framesPerSecond);
        var to = (long)Math.Floor((FramesProduced + 1) * rate / framesPerSecond);
        var startMicros = runStartMicros + (long)Math.Round((OffsetSeconds + ((double)from / rate)) * 1e6);
        Source.Fill(Frame, (int)(to - from), beats);
        // Clock faults change only what the device claims, never the truth.
        var elapsed = startMicros - runStartMicros;
        Frame.TimestampMicros = startMicros + SkewMicros + (long)(elapsed * DriftPpm * 1e-6);
        Frame.Sequence = Sequence++;
        Length = TelemetryCodec.Encode(Frame, Buffer);
        FramesProduced++;
    }

    /// <summary>
    /// Gives the current buffer away (a publication that did not complete at once still needs its bytes) and starts a new one.
    /// </summary>
    public byte[] DetachBuffer()
    {
        var old = Buffer;
        Buffer = new byte[old.Length];
        return old;
    }

    /// <summary>Notes that the frame with <paramref name="seq"/> is being published now.</summary>
    public void MarkSent(uint seq)
    {
        var slot = (int)(seq % RingSize);
        Volatile.Write(ref _sentTicks[slot], Stopwatch.GetTimestamp());
        Volatile.Write(ref _sentSeq[slot], seq + 1);
    }

    /// <summary>Send time of <paramref name="seq"/>, consumed so a duplicate answer does not count twice.</summary>
    public bool TryTakeSent(uint seq, out long ticks)
    {
        var slot = (int)(seq % RingSize);
        ticks = Volatile.Read(ref _sentTicks[slot]);
        return Interlocked.CompareExchange(ref _sentSeq[slot], 0, seq + 1) == seq + 1;
    }

    /// <summary>Holds the current frame for later; returns false (and drops the oldest) when the queue is full.</summary>
    public bool Hold()
    {
        var dropped = false;
        if (_held.Count >= MaxQueued)
        {
            ArrayPool<byte>.Shared.Return(_held.Dequeue().Buffer);
            dropped = true;
        }

        var copy = ArrayPool<byte>.Shared.Rent(Length);
        Buffer.AsSpan(0, Length).CopyTo(copy);
        _held.Enqueue((copy, Length, Frame.Sequence));
        return !dropped;
    }

    /// <summary>Takes the oldest held frame (the caller returns its buffer to the pool after publishing).</summary>
    public bool TryDequeueHeld(out (byte[] Buffer, int Length, uint Seq) frame) => _held.TryDequeue(out frame);

    /// <summary>
    /// Writes a malformed payload of a random kind into <paramref name="target"/> from the current frame; returns its length.
    /// </summary>
    public int Corrupt(ref SimRandom rng, byte[] target)
    {
        var valid = Buffer.AsSpan(0, Length);
        switch (rng.NextInt(6))
        {
            case 0: // truncated inside the header
                var cut = 1 + rng.NextInt(TelemetryCodec.HeaderSize - 1);
                valid[..cut].CopyTo(target);
                return cut;
            case 1: // wrong magic
                valid.CopyTo(target);
                target[0] = (byte)'X';
                return valid.Length;
            case 2: // body one byte short of what the header promises
                valid[..^1].CopyTo(target);
                return valid.Length - 1;
            case 3: // sample rate 0
                valid.CopyTo(target);
                BinaryPrimitives.WriteUInt16LittleEndian(target.AsSpan(16), 0);
                return valid.Length;
            case 4: // unknown version
                valid.CopyTo(target);
                target[2] = 99;
                return valid.Length;
            default: // garbage
                var n = 16 + rng.NextInt(200);
                for (var i = 0; i < n; i++)
                {
                    target[i] = (byte)rng.NextUInt64();
                }

                return n;
        }
    }
}
