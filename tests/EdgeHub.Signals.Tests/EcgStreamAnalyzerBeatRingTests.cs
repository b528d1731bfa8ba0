using EdgeHub.Contracts;

namespace EdgeHub.Signals.Tests;

/// <summary>
/// The analyzer's beat ring starts at 16 beats and doubles up to 64 when a faster rhythm needs it: every output must equal
/// that of an analyzer whose ring is 64 beats from the start (the fixed ring it replaced), frame by frame, bit for bit.
/// </summary>
public class EcgStreamAnalyzerBeatRingTests
{
    private const int SlotBytes = 12;

    [Fact]
    public void Append_RhythmSpeedingTo300BpmAndBack_SameOutputsAsFixed64Ring()
    {
        const int fs = 250;
        // 60 bpm, ramp to 300 bpm, hold, ramp back to 60 bpm, hold: 16 -> 32 -> 64 slots on the way up.
        var times = new List<double>();
        for (double t = 0.5; t < 90;)
        {
            times.Add(t);
            var bpm = t switch
            {
                < 15 => 60,
                < 35 => 60 + (t - 15) / 20 * 240,
                < 50 => 300,
                < 70 => 300 - (t - 50) / 20 * 240,
                _ => 60,
            };
            t += 60 / bpm;
        }

        var ecg = SyntheticEcg.Render(fs, 90, times, _ => SyntheticEcg.Normal, 0.01, 21);
        var (growing, reference) = FeedBoth(ecg, fs, out var maxBeatsInWindow);
        Assert.True(maxBeatsInWindow > 32, $"at most {maxBeatsInWindow} beats in a window: the ring never had to reach 64");
        Assert.Equal(reference.ApproximateBytes, growing.ApproximateBytes); // grown to 64 slots and kept
    }

    [Fact]
    public void Append_SlowRhythm_RingStaysAt16Slots()
    {
        const int fs = 250;
        var ecg = SyntheticEcg.Render(fs, 40, SyntheticEcg.SinusTimes(40, 80, 4), _ => SyntheticEcg.Normal, 0.01, 4);
        var (growing, reference) = FeedBoth(ecg, fs, out _);
        Assert.Equal(reference.ApproximateBytes - (64 - 16) * SlotBytes, growing.ApproximateBytes);
    }

    [Theory]
    [InlineData(250, 1)]
    [InlineData(250, 2)]
    [InlineData(500, 3)]
    [InlineData(360, 4)]
    public void Append_PrematureBeatsThenVentricularTachycardia_FlagsSurviveGrowth(int fs, int seed)
    {
        // Sinus at 70 bpm with early ventricular beats (premature flags spread over the ring), then an irregular fast stretch,
        // then VT at 150-250 bpm (fast-wide flags): the ring grows while flagged beats sit at every position of it.
        var rnd = new Random(seed);
        var times = new List<double>();
        var ventricular = new HashSet<int>();
        for (double t = 0.5; t < 75;)
        {
            var vt = t is >= 45 and < 60;
            if (vt || (t < 45 && rnd.NextDouble() < 0.15))
            {
                ventricular.Add(times.Count);
            }

            times.Add(t);
            var rr = t switch
            {
                < 30 => ventricular.Contains(times.Count - 1) ? 0.55 : 0.86 * (1 + 0.05 * (rnd.NextDouble() - 0.5)),
                < 45 => 0.3 + 0.5 * rnd.NextDouble(),         // AF-like, 75-200 bpm
                < 60 => 60 / (150 + 100 * rnd.NextDouble()),  // VT
                _ => 0.86,
            };
            t += rr;
        }

        var ecg = SyntheticEcg.Render(fs, 75, times, i => ventricular.Contains(i) ? SyntheticEcg.Ventricular : SyntheticEcg.Normal, 0.01, seed);
        var premature = FeatureSchema.IndexOf("premature_beat_fraction");
        var run = FeatureSchema.IndexOf("fast_run_max_beats");
        float maxPremature = 0, maxRun = 0, maxRecentRun = 0;
        var (growing, reference) = FeedBoth(ecg, fs, out var maxBeatsInWindow, (f, a) =>
        {
            maxPremature = Math.Max(maxPremature, f[premature]);
            maxRun = Math.Max(maxRun, f[run]);
            maxRecentRun = Math.Max(maxRecentRun, a.RecentFastWideRun);
        });

        // The comparison only proves the bits moved right if there were bits to move and the ring grew past them.
        Assert.True(maxPremature > 0.05, $"premature fraction at most {maxPremature}");
        Assert.True(maxRun >= 20 && maxRecentRun >= 20, $"fast-wide run at most {maxRun} in the window, {maxRecentRun} recent");
        Assert.True(maxBeatsInWindow > 16, $"at most {maxBeatsInWindow} beats in a window");
        Assert.True(growing.ApproximateBytes > reference.ApproximateBytes - (64 - 16) * SlotBytes, "the ring never grew");
    }

    [Fact]
    public void Constructor_BeatCapacityNotAPowerOfTwoFrom16To64_Rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new EcgStreamAnalyzer(250, 10, 24));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EcgStreamAnalyzer(250, 10, 128));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EcgStreamAnalyzer(250, 10, 8));
    }

    /// <summary>
    /// Feeds the same frames to a default analyzer and to one with a 64-beat ring, asserting after every frame that the
    /// features (as bits), heart rate and fast-wide run are equal; returns both and the most beats a window held.
    /// </summary>
    private static (EcgStreamAnalyzer Growing, EcgStreamAnalyzer Reference) FeedBoth(
        float[] ecg, int fs, out int maxBeatsInWindow, Action<float[], EcgStreamAnalyzer>? observe = null)
    {
        var growing = new EcgStreamAnalyzer(fs, 10);
        var reference = new EcgStreamAnalyzer(fs, 10, 64);
        var expected = new float[FeatureSchema.Count];
        var actual = new float[FeatureSchema.Count];
        var beats = FeatureSchema.IndexOf("beat_count");
        maxBeatsInWindow = 0;
        var second = 0;
        foreach (var frame in SyntheticEcg.Frames(ecg, fs))
        {
            second++;
            growing.Append(frame);
            reference.Append(frame);
            reference.WriteFeatures(expected);
            growing.WriteFeatures(actual);
            for (var i = 0; i < expected.Length; i++)
            {
                Assert.True(
                    BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                    $"second {second}: {FeatureSchema.Features[i].Name} is {actual[i]}, the 64-beat ring gives {expected[i]}");
            }

            Assert.Equal(reference.HeartRateBpm, growing.HeartRateBpm);
            Assert.Equal(reference.RecentFastWideRun, growing.RecentFastWideRun);
            maxBeatsInWindow = Math.Max(maxBeatsInWindow, (int)expected[beats]);
            observe?.Invoke(expected, reference);
        }

        return (growing, reference);
    }
}
