using EdgeHub.Contracts;

namespace EdgeHub.Signals.Tests;

/// <summary>
/// The compressed strip on real ECG (MIT-BIH resampled to 250 Hz, µV) and through <see cref="EcgStreamAnalyzer.CopyStrip"/>:
/// exactly the values the int16 ring gave, in the memory the edge budgets for.
/// </summary>
public class StripRingEcgTests
{
    private const int Fs = 250;
    private const int Strip = 6 * Fs;

    [Theory]
    [InlineData("101", 0.97)] // sinus rhythm, noise episodes
    [InlineData("119", 0.99)] // ventricular bigeminy
    [InlineData("203", 0.6)] // AF, multiform PVCs, much noise: the roughest record
    [InlineData("208", 0.9)] // couplets and fusion beats
    public void Add_MitBihRecordAt250Hz_MatchesReference_ArrayStaysSmall(string name, double minFractionAtStartSize)
    {
        var uv = MicrovoltsAt250Hz(name);
        var ring = new StripRing(Strip);
        var startBytes = ring.ByteCapacity;
        var reference = new StripRingTests.ReferenceRing(Strip);
        var maxCapacity = 0;
        long usedSum = 0, seconds = 0, secondsAtStartSize = 0;
        for (var i = 0; i < uv.Length; i++)
        {
            ring.Add(uv[i]);
            reference.Add(uv[i]);
            maxCapacity = Math.Max(maxCapacity, ring.ByteCapacity);
            if (i % 997 == 0)
            {
                StripRingTests.AssertSame(reference, ring);
            }

            if (i >= Strip && i % Fs == 0)
            {
                usedSum += ring.BytesUsed;
                seconds++;
                secondsAtStartSize += ring.ByteCapacity == startBytes ? 1 : 0;
            }
        }

        StripRingTests.AssertSame(reference, ring);
        var bytesPerSample = (double)usedSum / seconds / Strip;
        var atStartSize = (double)secondsAtStartSize / seconds;
        var summary = $"record {name}: {bytesPerSample:F3} bytes a sample, array at its {startBytes} starting bytes {atStartSize:P1} of the time, at most {maxCapacity} (int16 ring: {2 * Strip})";
        Assert.True(startBytes <= 2_200, summary);
        Assert.True(bytesPerSample < 1.2, summary);
        Assert.True(atStartSize >= minFractionAtStartSize, summary);
        Assert.True(maxCapacity <= 2_400, summary);
    }

    [Fact]
    public void CopyStrip_ClippedSaturatedAndSampleRateChanges_SameAsInt16Ring()
    {
        // Frames of random raw values at gains that drive the µV value past ±32767 (clamped plateaus) or make it NaN,
        // rail values, a flat stretch, and a switch to 360 Hz and back: the strip must equal round-and-clamp of every sample.
        var random = new Random(5);
        var analyzer = new EcgStreamAnalyzer(Fs, 6);
        var reference = new StripRingTests.ReferenceRing(Strip);
        var rate = Fs;
        for (var second = 0; second < 60; second++)
        {
            var newRate = second is >= 20 and < 30 ? 360 : Fs;
            if (newRate != rate)
            {
                rate = newRate;
                reference = new StripRingTests.ReferenceRing(6 * rate);
            }

            // Gain float.Epsilon makes the scale infinite: ±∞ clamps to the rails and raw = baseline gives NaN, stored as 0.
            var gain = second % 7 == 6 ? float.Epsilon : second % 3 == 0 ? 0.5f : 200f;
            var frame = new TelemetryFrame { SampleRate = rate, Gain = gain, Baseline = (short)random.Next(-100, 100) };
            var samples = frame.SetSampleCount(rate);
            for (var i = 0; i < rate; i++)
            {
                samples[i] = (second % 5) switch
                {
                    0 => (short)random.Next(short.MinValue, short.MaxValue + 1),
                    1 => i % 2 == 0 ? short.MaxValue : short.MinValue,
                    2 => frame.Baseline,
                    _ => (short)(Math.Sin(i * 0.1) * 300 + random.Next(-5, 6)),
                };
            }

            analyzer.Append(frame);
            var scale = 1f / frame.Gain;
            foreach (var raw in samples)
            {
                reference.Add((short)Math.Clamp(MathF.Round((raw - frame.Baseline) * scale * 1000f), short.MinValue, short.MaxValue));
            }

            var expected = new short[reference.Count];
            reference.CopyLatest(expected);
            var strip = new float[6 * rate + 10];
            var n = analyzer.CopyStrip(strip);
            Assert.Equal(expected.Length, n);
            for (var i = 0; i < n; i++)
            {
                Assert.Equal(expected[i] / 1000f, strip[i]);
            }
        }
    }

    [Fact]
    public void ApproximateBytes_SixSecondStripAt250Hz_UnderInt16Ring()
    {
        var analyzer = new EcgStreamAnalyzer(Fs, 6);
        var before = analyzer.ApproximateBytes;
        var ecg = SyntheticEcg.Render(Fs, 30, SyntheticEcg.SinusTimes(30, 70, 6), _ => SyntheticEcg.Normal, 0.02, 6);
        foreach (var frame in SyntheticEcg.Frames(ecg, Fs))
        {
            analyzer.Append(frame);
        }

        Assert.Equal(before, analyzer.ApproximateBytes); // ECG fits the starting array: no growth
        var int16Strip = 2 * Strip;
        var strip = new StripRing(Strip);
        Assert.True(strip.ApproximateBytes < int16Strip * 2 / 3, $"ring {strip.ApproximateBytes} bytes vs int16 {int16Strip}");
    }

    /// <summary>The record's MLII lead in µV, linearly resampled from 360 to 250 Hz.</summary>
    private static short[] MicrovoltsAt250Hz(string name)
    {
        var record = Wfdb.ReadRecord(TestData.Record(name));
        var signal = record.IndexOfSignal("MLII");
        var info = record.Signals[signal];
        var source = record.Samples[signal];
        var ratio = record.SampleRate / Fs;
        var n = (int)((source.Length - 1) / ratio);
        var uv = new short[n];
        for (var i = 0; i < n; i++)
        {
            var t = i * ratio;
            var k = (int)t;
            var raw = source[k] + (t - k) * (source[k + 1] - source[k]);
            uv[i] = (short)Math.Clamp(Math.Round((raw - info.Baseline) / info.Gain * 1000), short.MinValue, short.MaxValue);
        }

        return uv;
    }
}
