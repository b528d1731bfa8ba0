using EdgeHub.Contracts;

namespace EdgeHub.Signals.Tests;

public class EcgStreamAnalyzerMitDbTests
{
    [Theory]
    [InlineData("116")] // tall QRS complexes: must not read as noise
    [InlineData("215")] // fast rate with PVCs
    public void WriteFeatures_MitBihRecordAsFrames_HeartRateMatchesReferenceAndQualityHigh(string name)
    {
        var record = Wfdb.ReadRecord(TestData.Record(name));
        var beats = Wfdb.ReadAnnotations(TestData.Record(name) + ".atr").Where(a => a.IsBeat).Select(a => a.Sample).ToArray();
        var signal = record.IndexOfSignal("MLII");
        var info = record.Signals[signal];
        var fs = (int)record.SampleRate;
        var analyzer = new EcgStreamAnalyzer(fs);
        var frame = new TelemetryFrame { SampleRate = fs, Gain = (float)info.Gain, Baseline = (short)Math.Round(info.Baseline) };
        var features = new float[FeatureSchema.Count];
        var hrIndex = FeatureSchema.IndexOf("hr_mean_bpm");
        var qualityIndex = FeatureSchema.IndexOf("signal_quality");
        double errorSum = 0, qualitySum = 0;
        var windows = 0;
        for (var start = 0; start + fs <= record.Length; start += fs)
        {
            var span = frame.SetSampleCount(fs);
            for (var i = 0; i < fs; i++)
            {
                span[i] = (short)record.Samples[signal][start + i];
            }

            analyzer.Append(frame);
            if (!analyzer.WindowReady || (start / fs) % 10 != 0)
            {
                continue;
            }

            analyzer.WriteFeatures(features);
            var end = analyzer.SamplesSeen;
            var inWindow = beats.Where(b => b >= end - 10 * fs && b < end - fs / 3).ToArray(); // the last ~0.3 s is not reported yet
            if (inWindow.Length < 3)
            {
                continue;
            }

            var referenceHr = 60.0 * fs * (inWindow.Length - 1) / (inWindow[^1] - inWindow[0]);
            errorSum += Math.Abs(features[hrIndex] - referenceHr);
            qualitySum += features[qualityIndex];
            windows++;
        }

        Assert.True(windows > 150);
        Assert.True(errorSum / windows < 2.0, $"record {name}: mean |HR error| {errorSum / windows:F2} bpm");
        Assert.True(qualitySum / windows > 0.95, $"record {name}: mean signal quality {qualitySum / windows:F3}");
    }
}
