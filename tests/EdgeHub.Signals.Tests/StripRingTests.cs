namespace EdgeHub.Signals.Tests;

/// <summary>
/// <see cref="StripRing"/> against a plain int16 ring: every signal shape must read back exactly, the array must stay
/// small for ECG and bounded for anything.
/// </summary>
public class StripRingTests
{
    private const int SixSecondsAt250Hz = 1500;

    [Fact]
    public void Add_RandomWalk_MatchesReferenceAtEveryStep()
    {
        var random = new Random(1);
        var value = 0;
        RoundTrip(SixSecondsAt250Hz, 20_000, _ => (short)(value = Math.Clamp(value + random.Next(-300, 301), short.MinValue, short.MaxValue)), checkEvery: 1);
    }

    [Fact]
    public void Add_WhiteNoiseFullScale_MatchesReference_ArrayWithinWorstCase()
    {
        var random = new Random(2);
        var ring = RoundTrip(SixSecondsAt250Hz, 10_000, _ => (short)random.Next(short.MinValue, short.MaxValue + 1), checkEvery: 7);
        Assert.True(ring.ByteCapacity <= StripRing.WorstCaseBytes(SixSecondsAt250Hz), $"{ring.ByteCapacity} bytes");
        Assert.True(ring.BytesUsed > 2 * SixSecondsAt250Hz, $"full-scale noise should need 2-3 bytes a step, used {ring.BytesUsed}");
    }

    [Theory]
    [InlineData(short.MaxValue, -short.MaxValue)]
    [InlineData(short.MaxValue, short.MinValue)]
    [InlineData(0, short.MinValue)]
    public void Add_AlternatingFullScaleSwings_MatchesReference(short a, short b)
    {
        var ring = RoundTrip(SixSecondsAt250Hz, 5_000, i => i % 2 == 0 ? a : b, checkEvery: 13);
        Assert.True(ring.ByteCapacity <= StripRing.WorstCaseBytes(SixSecondsAt250Hz));
    }

    [Fact]
    public void Add_LongFlatLineAndClippedPlateaus_OneBytePerStep()
    {
        // A flat line, then the amplifier pinned at each rail in turn: every step after the first is a zero difference.
        var ring = RoundTrip(SixSecondsAt250Hz, 30_000, i => i < 10_000 ? (short)-120 : i < 20_000 ? short.MaxValue : short.MinValue, checkEvery: 101);
        Assert.Equal(SixSecondsAt250Hz - 1, ring.BytesUsed);
        Assert.True(ring.ByteCapacity <= 2200, $"{ring.ByteCapacity} bytes");
    }

    [Fact]
    public void CopyLatest_BeforeFull_ReturnsWhatIsHeld()
    {
        var ring = new StripRing(100);
        Assert.Equal(0, ring.CopyLatest(new short[10]));
        for (short i = 1; i <= 30; i++)
        {
            ring.Add((short)(i * 1000));
        }

        var all = new short[100];
        Assert.Equal(30, ring.CopyLatest(all));
        Assert.Equal(Enumerable.Range(1, 30).Select(i => (short)(i * 1000)), all[..30]);
        var last5 = new float[5];
        Assert.Equal(5, ring.CopyLatest(last5));
        Assert.Equal([26000f, 27000f, 28000f, 29000f, 30000f], last5);
    }

    [Fact]
    public void Add_ManyWrapArounds_GrowingAndShrinking_MatchesReferenceAtEveryStep()
    {
        // Quiet and noisy stretches in turn, on a small ring: hundreds of passes of the write position, with the
        // array growing for the noise and shrinking back after it, checked sample by sample.
        var random = new Random(3);
        var value = 0;
        var maxCapacity = 0;
        var ring = RoundTrip(50, 61_000, i =>
        {
            var noisy = i / 2_000 % 2 == 1;
            value = noisy ? random.Next(short.MinValue, short.MaxValue + 1) : Math.Clamp(value + random.Next(-20, 21), -30_000, 30_000);
            return (short)value;
        }, checkEvery: 1, onStep: r => maxCapacity = Math.Max(maxCapacity, r.ByteCapacity));
        Assert.True(maxCapacity > 100, $"noise should have grown the array, max {maxCapacity}");
        Assert.True(maxCapacity <= StripRing.WorstCaseBytes(50));
        Assert.True(ring.ByteCapacity < maxCapacity, $"the array should shrink after the noise, still {ring.ByteCapacity}");
    }

    [Fact]
    public void Reset_NewCapacity_EmptiesAndHoldsTheNewLength()
    {
        var ring = new StripRing(SixSecondsAt250Hz);
        var reference = new ReferenceRing(SixSecondsAt250Hz);
        for (var i = 0; i < 4_000; i++)
        {
            ring.Add((short)(i * 37));
        }

        ring.Reset(6 * 360); // the device switched to 360 Hz
        Assert.Equal(0, ring.Count);
        Assert.Equal(0, ring.CopyLatest(new short[10]));
        reference = new ReferenceRing(6 * 360);
        for (var i = 0; i < 5_000; i++)
        {
            var v = (short)(Math.Sin(i * 0.05) * 2000);
            ring.Add(v);
            reference.Add(v);
        }

        AssertSame(reference, ring);
        ring.Reset(6 * 360); // same rate again: emptied, array kept
        Assert.Equal(0, ring.Count);
        ring.Add(5);
        Assert.Equal(1, ring.CopyLatest(new short[3]));
    }

    [Fact]
    public void Add_RandomStretchesCapacitiesAndResets_MatchesReferenceAtEveryStep()
    {
        // Stretches of random shape (flat, small steps, full-scale jumps, rail-to-rail) and random length on rings of
        // random capacity, with resets between some: every state the ring passes through must read back exactly.
        var random = new Random(6);
        for (var trial = 0; trial < 40; trial++)
        {
            var capacity = random.Next(1, 400);
            var ring = new StripRing(capacity);
            var reference = new ReferenceRing(capacity);
            short value = 0;
            for (var stretch = 0; stretch < 12; stretch++)
            {
                if (random.Next(6) == 0)
                {
                    capacity = random.Next(1, 400);
                    ring.Reset(capacity);
                    reference = new ReferenceRing(capacity);
                }

                var shape = random.Next(4);
                var length = random.Next(1, 3 * capacity + 2);
                for (var i = 0; i < length; i++)
                {
                    value = shape switch
                    {
                        0 => value,
                        1 => (short)Math.Clamp(value + random.Next(-70, 71), short.MinValue, short.MaxValue),
                        2 => (short)random.Next(short.MinValue, short.MaxValue + 1),
                        _ => random.Next(2) == 0 ? short.MinValue : short.MaxValue,
                    };
                    ring.Add(value);
                    reference.Add(value);
                    AssertSame(reference, ring);
                    Assert.True(ring.ByteCapacity <= StripRing.WorstCaseBytes(capacity), $"{ring.ByteCapacity} bytes for {capacity} samples");
                }
            }
        }
    }

    [Fact]
    public void Add_CapacityOne_KeepsTheLatestSample()
    {
        var ring = RoundTrip(1, 1_000, i => (short)(i * 977), checkEvery: 1);
        Assert.Equal(1, ring.Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => new StripRing(0));
    }

    [Fact]
    public void Add_SteadyEcg_AllocatesNothing()
    {
        var ring = new StripRing(SixSecondsAt250Hz);
        var ecg = SyntheticEcg.Render(250, 40, SyntheticEcg.SinusTimes(40, 70, 4), _ => SyntheticEcg.Normal, 0.02, 4);
        for (var i = 0; i < 2_500; i++)
        {
            ring.Add((short)MathF.Round(ecg[i] * 1000));
        }

        var strip = new float[SixSecondsAt250Hz];
        SteadyStateAllocations.AssertNone(ecg.Length - 2_500, k =>
        {
            var i = 2_500 + k;
            ring.Add((short)MathF.Round(ecg[i] * 1000));
            if (i % 250 == 0)
            {
                ring.CopyLatest(strip);
            }
        });
        Assert.True(ring.ByteCapacity <= 2200, $"{ring.ByteCapacity} bytes");
    }

    /// <summary>Feeds <paramref name="count"/> samples to a ring and a reference ring; compares them every few steps and at the end.</summary>
    private static StripRing RoundTrip(int capacity, int count, Func<int, short> sample, int checkEvery, Action<StripRing>? onStep = null)
    {
        var ring = new StripRing(capacity);
        var reference = new ReferenceRing(capacity);
        for (var i = 0; i < count; i++)
        {
            var v = sample(i);
            ring.Add(v);
            reference.Add(v);
            onStep?.Invoke(ring);
            if (i % checkEvery == 0)
            {
                AssertSame(reference, ring);
            }
        }

        AssertSame(reference, ring);
        return ring;
    }

    internal static void AssertSame(ReferenceRing reference, StripRing ring)
    {
        Assert.Equal(reference.Count, ring.Count);
        Assert.True(ring.BytesUsed <= ring.ByteCapacity);
        var expected = new short[reference.Count];
        reference.CopyLatest(expected);
        var actual = new short[ring.Capacity + 3];
        Assert.Equal(expected.Length, ring.CopyLatest(actual));
        Assert.Equal(expected, actual[..expected.Length]);
        var shorter = Math.Max(0, expected.Length - 3);
        Assert.Equal(shorter, ring.CopyLatest(actual.AsSpan(0, shorter)));
        Assert.Equal(expected[^shorter..], actual[..shorter]);
    }

    /// <summary>The int16 ring the analyzer used before: what <see cref="StripRing"/> must reproduce.</summary>
    internal sealed class ReferenceRing(int capacity)
    {
        private readonly short[] _samples = new short[capacity];
        private long _added;

        public int Count => (int)Math.Min(_added, _samples.Length);

        public void Add(short v) => _samples[(int)(_added++ % _samples.Length)] = v;

        public void CopyLatest(Span<short> destination)
        {
            var start = _added - destination.Length;
            for (var i = 0; i < destination.Length; i++)
            {
                destination[i] = _samples[(int)((start + i) % _samples.Length)];
            }
        }
    }
}
