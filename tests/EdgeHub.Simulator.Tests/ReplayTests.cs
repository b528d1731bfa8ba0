using EdgeHub.Contracts;
using EdgeHub.Testing;

namespace EdgeHub.Simulator.Tests;

public sealed class ReplayTests
{
    [Theory]
    [InlineData(10.0, 0.99, 1.01)]    // in band: kept
    [InlineData(80.0, 0.97, 1.03)]    // well below the 112.5 Hz cutoff: kept (QRS energy ends around 40 Hz)
    [InlineData(160.0, 0, 0.02)]      // above the new Nyquist (125 Hz): removed, not aliased to 90 Hz
    public void Resample_360To250_KeepsTheBandRemovesAliases(double hz, double lowGain, double highGain)
    {
        var input = new float[3600];
        for (var i = 0; i < input.Length; i++)
        {
            input[i] = (float)Math.Sin(2 * Math.PI * hz * i / 360);
        }

        var output = Resampler.Resample(input, 360, 250);
        Assert.Equal(2500, output.Length);
        var middle = output.AsSpan(200, 2100);
        double power = 0;
        foreach (var v in middle)
        {
            power += v * v;
        }

        var gain = Math.Sqrt(2 * power / middle.Length);
        Assert.InRange(gain, lowGain, highGain);
    }

    [Fact]
    public void Resample_BadRates_Throws() =>
        Assert.Throws<ArgumentException>(() => Resampler.Resample(new float[10], 0, 250));

    [Fact]
    public void Load_Record101_AllBeatsAtTheDeviceRate()
    {
        var record = ReplayRecord.Load(Path.Combine(RepoPaths.MitDb, "101"), 250);
        Assert.Equal(1865, record.BeatSamples.Length);
        Assert.Equal(650000 * 250 / 360, record.Samples.Length, 1.0);
        // Each reference beat sits on its R peak in the resampled signal: the local extremum is within 30 ms.
        var near = 0;
        foreach (var b in record.BeatSamples.Skip(5).Take(200))
        {
            var c = (int)Math.Round(b);
            var best = c;
            for (var i = c - 12; i <= c + 12; i++)
            {
                best = Math.Abs(record.Samples[i]) > Math.Abs(record.Samples[best]) ? i : best;
            }

            near += Math.Abs(best - b) <= 8 ? 1 : 0;
        }

        Assert.True(near >= 190, $"only {near}/200 beats on their peaks");
    }

    [Fact]
    public void Load_OriginalRecordWithRhythmLabels_DerivesEpisodes()
    {
        // 208 (PhysioNet original): many PVCs and runs, bigeminy/trigeminy labels.
        var record = ReplayRecord.Load(Path.Combine(RepoPaths.MitDb, "208"), 250);
        Assert.Contains(record.Episodes, e => e.Kind == EpisodeKind.Pvc);
        Assert.Contains(record.Episodes, e => e.Kind == EpisodeKind.VentricularTachycardia);
        Assert.True(record.BeatSymbols.Count(s => s == 'V') > 900);
    }

    [Fact]
    public void ReplayPatient_LoopsAndTruthFollowsTheRecord()
    {
        var record = ReplayRecord.Load(Path.Combine(RepoPaths.MitDb, "208"), 250);
        var patient = new ReplayPatient(record, offsetSeconds: record.DurationSeconds - 2, seed: 1, device: 0);
        var frame = new TelemetryFrame();
        var beats = new List<BeatMark>();
        for (var i = 0; i < 4; i++)
        {
            patient.Fill(frame, 250, beats);
        }

        Assert.Equal(1000, patient.SamplesGenerated);
        Assert.Equal(250, frame.SampleCount);
        Assert.NotNull(frame.SpO2);
        // Beats of the last 2 s of the record and the first 2 s of the loop, with increasing run-time positions.
        Assert.InRange(beats.Count, 4, 10);
        Assert.True(beats.Zip(beats.Skip(1)).All(p => p.First.SampleIndex < p.Second.SampleIndex));

        // A PVC episode of the record, seen through the device at its run time.
        var pvc = record.Episodes.First(e => e.Kind == EpisodeKind.Pvc && e.Start > 10);
        var runTime = pvc.Start + 2 + 0.5;   // offset = L − 2: record time x plays at run time x + 2
        var found = new List<EpisodeOccurrence>();
        patient.EpisodesOverlapping(runTime, runTime + 0.01, found);
        Assert.Contains(found, e => e.Kind == EpisodeKind.Pvc);
    }

    [Fact]
    public void Library_MissingDirectory_ClearError()
    {
        var error = Assert.Throws<DirectoryNotFoundException>(() => ReplayLibrary.Load("/nonexistent/records", 250));
        Assert.Contains("/nonexistent/records", error.Message, StringComparison.Ordinal);
        var empty = Directory.CreateTempSubdirectory("ehub-empty-").FullName;
        try
        {
            Assert.Throws<InvalidDataException>(() => ReplayLibrary.Load(empty, 250));
        }
        finally
        {
            Directory.Delete(empty);
        }
    }
}
