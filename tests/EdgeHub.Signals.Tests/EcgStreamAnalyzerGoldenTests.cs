using EdgeHub.Contracts;

namespace EdgeHub.Signals.Tests;

/// <summary>
/// The analyzer's outputs, bit for bit, over whole MIT-BIH records and a synthetic 250 Hz stream: every second's features
/// (once a window is ready), heart rate, seconds since the last beat, VT-like run length and the final strip are folded
/// into one hash. The expected hashes were recorded with the analyzer before its per-device memory was compacted (beats
/// stored in 12 bytes with a 32-bit index and their flags as bits, quality blocks of 32 bytes with 16-bit counts, detector
/// histories held inline), so any change to what the edge computes — not merely to how it stores it — fails here.
/// </summary>
public class EcgStreamAnalyzerGoldenTests
{
    [Theory]
    [InlineData("101", 0x18BD6FB4A46DCF51UL)] // sinus rhythm, noise episodes
    [InlineData("119", 0x562971400068F433UL)] // ventricular bigeminy: wide beats
    [InlineData("203", 0xC6878038A25F9896UL)] // AF with multiform PVCs and noise
    [InlineData("208", 0xB2003A554B213E21UL)] // couplets and fusion beats
    public void Outputs_WholeMitBihRecord_MatchRecordedHash(string name, ulong expected)
    {
        var record = Wfdb.ReadRecord(TestData.Record(name));
        var signal = record.IndexOfSignal("MLII");
        var info = record.Signals[signal];
        var fs = (int)record.SampleRate;
        var frame = new TelemetryFrame { SampleRate = fs, Gain = (float)info.Gain, Baseline = (short)Math.Round(info.Baseline), SpO2 = 97 };
        var analyzer = new EcgStreamAnalyzer(fs, 6);
        var hash = new OutputHash();
        for (var start = 0; start + fs <= record.Length; start += fs)
        {
            var span = frame.SetSampleCount(fs);
            for (var i = 0; i < fs; i++)
            {
                span[i] = (short)record.Samples[signal][start + i];
            }

            analyzer.Append(frame);
            hash.Add(analyzer);
        }

        hash.AddStrip(analyzer, 6 * fs);
        Assert.True(expected == hash.Value, $"record {name}: outputs hash 0x{hash.Value:X16}, recorded 0x{expected:X16}");
    }

    [Fact]
    public void Outputs_SyntheticAfThenSinusAt250Hz_MatchRecordedHash()
    {
        const int Fs = 250;
        var beats = SyntheticEcg.AfTimes(120, 110, seed: 7);
        beats.AddRange(SyntheticEcg.SinusTimes(120, 72, seed: 8).Select(t => t + 120));
        var mv = SyntheticEcg.Render(Fs, 240, beats, _ => SyntheticEcg.Normal, noiseMv: 0.03, seed: 9);
        var analyzer = new EcgStreamAnalyzer(Fs, 6);
        var hash = new OutputHash();
        foreach (var frame in SyntheticEcg.Frames(mv, Fs))
        {
            analyzer.Append(frame);
            hash.Add(analyzer);
        }

        hash.AddStrip(analyzer, 6 * Fs);
        const ulong Expected = 0x5645E53D617637BAUL;
        Assert.True(Expected == hash.Value, $"outputs hash 0x{hash.Value:X16}, recorded 0x{Expected:X16}");
    }

    /// <summary>FNV-1a over the bits of every output.</summary>
    private sealed class OutputHash
    {
        private readonly float[] _features = new float[FeatureSchema.Count];

        public ulong Value { get; private set; } = 14695981039346656037UL;

        public void Add(EcgStreamAnalyzer analyzer)
        {
            Mix(BitConverter.DoubleToInt64Bits(analyzer.HeartRateBpm ?? -1));
            Mix(BitConverter.DoubleToInt64Bits(analyzer.SecondsSinceLastBeat));
            Mix(analyzer.RecentFastWideRun);
            if (analyzer.WindowReady)
            {
                analyzer.WriteFeatures(_features);
                foreach (var f in _features)
                {
                    Mix(BitConverter.SingleToInt32Bits(f));
                }
            }
        }

        public void AddStrip(EcgStreamAnalyzer analyzer, int samples)
        {
            var strip = new float[samples];
            Mix(analyzer.CopyStrip(strip));
            foreach (var v in strip)
            {
                Mix(BitConverter.SingleToInt32Bits(v));
            }
        }

        private void Mix(long v)
        {
            var h = Value;
            for (var i = 0; i < 8; i++)
            {
                h = (h ^ (byte)(v >> (8 * i))) * 1099511628211UL;
            }

            Value = h;
        }
    }
}
