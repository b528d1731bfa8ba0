namespace EdgeHub.Signals.Tests;

public class QrsDetectorTests
{
    [Fact]
    public void EvaluateRecord_EverySharedMitBihRecord_PooledSeAndPPAtLeast995()
    {
        var pooled = new BeatScore();
        var records = QrsEvaluation.FindRecords(TestData.MitDb);
        Assert.Equal(22, records.Count);
        var report = new List<string>();
        foreach (var path in records)
        {
            var r = QrsEvaluation.EvaluateRecord(path);
            pooled += r.Score;
            report.Add($"{r.Record} TP={r.Score.TruePositives} FP={r.Score.FalsePositives} FN={r.Score.FalseNegatives}");
            Assert.True(r.MaxDelaySeconds <= QrsDetector.MaxDelaySeconds, $"record {r.Record}: a beat was reported {r.MaxDelaySeconds * 1000:F0} ms after its R peak");
            Assert.True(r.Score.Sensitivity >= 0.97 && r.Score.PositivePredictivity >= 0.93, string.Join("; ", report));
        }

        Assert.True(pooled.Sensitivity >= 0.995 && pooled.PositivePredictivity >= 0.995,
            $"pooled Se={pooled.Sensitivity:P2} +P={pooled.PositivePredictivity:P2}: {string.Join("; ", report)}");
    }

    [Fact]
    public void Process_HardMitBihRecordsResampledTo250Hz_StillMeetsTarget()
    {
        // Devices stream at 250 Hz: resample (linear interpolation) the hardest records and score at the device rate.
        const int fs = 250;
        var pooled = new BeatScore();
        foreach (var name in new[] { "108", "203", "207", "116", "208" })
        {
            var record = Wfdb.ReadRecord(TestData.Record(name));
            var ratio = fs / record.SampleRate;
            var signal = record.IndexOfSignal("MLII");
            var info = record.Signals[signal];
            var adc = record.Samples[signal];
            var detector = new QrsDetector(fs);
            var found = new List<long>();
            var n = (int)(adc.Length * ratio);
            for (var i = 0; i < n; i++)
            {
                var t = i / ratio;
                var k = (int)t;
                var frac = t - k;
                var v = (1 - frac) * adc[k] + frac * adc[Math.Min(k + 1, adc.Length - 1)];
                if (detector.Process((float)((v - info.Baseline) / info.Gain), out var beat))
                {
                    found.Add(beat.SampleIndex);
                }
            }

            var reference = Wfdb.ReadAnnotations(TestData.Record(name) + ".atr")
                .Select(a => a with { Sample = (long)Math.Round(a.Sample * ratio) }).ToList();
            pooled += BeatScoring.Score(reference, found.ToArray(), fs);
        }

        Assert.True(pooled.Sensitivity >= 0.99 && pooled.PositivePredictivity >= 0.99, $"{pooled}: Se={pooled.Sensitivity:P2} +P={pooled.PositivePredictivity:P2}");
    }

    [Theory]
    [InlineData(125)]
    [InlineData(250)]
    [InlineData(500)]
    [InlineData(1000)]
    public void Process_CleanSyntheticEcg_SeAndPPAtLeast999(int sampleRate)
    {
        const double seconds = 900; // ≈ 1,100 beats
        var times = SyntheticEcg.SinusTimes(seconds, 72, seed: sampleRate);
        var ecg = SyntheticEcg.Render(sampleRate, seconds, times, _ => SyntheticEcg.Normal, noiseMv: 0.02, seed: 1);
        var detector = new QrsDetector(sampleRate);
        var found = new List<long>();
        long maxDelay = 0;
        for (var i = 0; i < ecg.Length; i++)
        {
            if (detector.Process(ecg[i], out var beat))
            {
                found.Add(beat.SampleIndex);
                maxDelay = Math.Max(maxDelay, i - beat.SampleIndex);
                Assert.InRange(beat.AmplitudeMv, 0.8f, 2f);
                Assert.InRange(beat.WidthMs, 40f, 119f);
            }
        }

        var reference = times.Select(t => new WfdbAnnotation((long)Math.Round(t * sampleRate), 1, 0, 0, 0, null, t)).ToList();
        var score = BeatScoring.Score(reference, found.ToArray(), sampleRate, startSeconds: 5);
        Assert.True(score.Sensitivity >= 0.999 && score.PositivePredictivity >= 0.999, $"{score} at {sampleRate} Hz");
        Assert.True(score.TruePositives > 1000);
        Assert.True(maxDelay <= QrsDetector.MaxDelaySeconds * sampleRate, $"delay {maxDelay} samples at {sampleRate} Hz");
    }

    [Fact]
    public void Process_WideVentricularBeats_ReportedWideAndPremature()
    {
        const int fs = 250;
        var times = new List<double>();
        for (double t = 0.5; t < 120; t += 0.8)
        {
            times.Add(t);
        }

        // Every fifth beat is a ventricular premature beat 300 ms early.
        var shapes = new bool[times.Count];
        for (var i = 10; i < times.Count; i += 5)
        {
            times[i] -= 0.3;
            shapes[i] = true;
        }

        var ecg = SyntheticEcg.Render(fs, 120, times, i => shapes[i] ? SyntheticEcg.Ventricular : SyntheticEcg.Normal, 0.01, 2);
        var detector = new QrsDetector(fs);
        int wideV = 0, prematureV = 0, wideN = 0, v = 0, n = 0;
        for (var i = 0; i < ecg.Length; i++)
        {
            if (!detector.Process(ecg[i], out var beat) || beat.SampleIndex < 5 * fs)
            {
                continue;
            }

            var k = times.FindIndex(t => Math.Abs(t * fs - beat.SampleIndex) < 0.1 * fs);
            Assert.True(k >= 0, $"beat at {beat.SampleIndex / (double)fs:F2} s matches no synthetic beat");
            if (shapes[k])
            {
                v++;
                wideV += beat.WidthMs > 120 ? 1 : 0;
                prematureV += beat.Premature ? 1 : 0;
            }
            else
            {
                n++;
                wideN += beat.WidthMs > 120 ? 1 : 0;
            }
        }

        Assert.True(v > 20 && n > 80);
        Assert.True(wideV >= 0.9 * v, $"{wideV}/{v} ventricular beats wide");
        Assert.True(prematureV >= 0.9 * v, $"{prematureV}/{v} ventricular beats premature");
        Assert.True(wideN <= 0.02 * n, $"{wideN}/{n} normal beats wide");
    }

    [Fact]
    public void Process_SteadyState_AllocatesNothing()
    {
        var detector = new QrsDetector(360);
        var ecg = SyntheticEcg.Render(360, 60, SyntheticEcg.SinusTimes(60, 80, 3), _ => SyntheticEcg.Normal, 0.02, 3);
        for (var i = 0; i < 3600; i++)
        {
            detector.Process(ecg[i], out _);
        }

        var beats = 0;
        SteadyStateAllocations.AssertNone(ecg.Length - 3600, i => beats += detector.Process(ecg[3600 + i], out _) ? 1 : 0);
        Assert.InRange(beats, 60, 75);
    }

    [Fact]
    public void Process_NonFiniteSamplesAndSaturation_KeepsDetecting()
    {
        const int fs = 250;
        var times = SyntheticEcg.SinusTimes(120, 70, 4);
        var ecg = SyntheticEcg.Render(fs, 120, times, _ => SyntheticEcg.Normal, 0.02, 4);
        for (var i = 30 * fs; i < 32 * fs; i++)
        {
            ecg[i] = i % 7 == 0 ? float.NaN : (i % 2 == 0 ? 50f : -50f); // 2 s of garbage
        }

        var detector = new QrsDetector(fs);
        var late = 0;
        for (var i = 0; i < ecg.Length; i++)
        {
            if (detector.Process(ecg[i], out var beat) && beat.SampleIndex > 60 * fs)
            {
                late++;
            }
        }

        var expected = times.Count(t => t > 60.2 && t < 119.5);
        Assert.InRange(late, expected - 2, expected + 2);
    }

    [Fact]
    public void Constructor_RateOutOfRange_Throws_AndResetRestartsCounting()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new QrsDetector(100));
        Assert.Throws<ArgumentOutOfRangeException>(() => new QrsDetector(1001));
        var d = new QrsDetector(125);
        for (var i = 0; i < 500; i++)
        {
            d.Process(0, out _);
        }

        d.Reset();
        Assert.Equal(0, d.SamplesProcessed);
        Assert.Equal(125, d.SampleRate);
    }
}
