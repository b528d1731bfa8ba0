using System.Diagnostics;
using EdgeHub.Contracts;
using EdgeHub.Signals;
using Xunit.Abstractions;
using static EdgeHub.Simulator.Tests.EcgTestKit;

namespace EdgeHub.Simulator.Tests;

public sealed class SyntheticEcgTests(ITestOutputHelper output)
{
    [Fact]
    public void Render_CleanSinusRhythm_QrsDetectorFindsEveryBeat()
    {
        // 20 patients × 5 minutes of clean sinus rhythm through the project's streaming Pan–Tompkins detector.
        int tp = 0, fp = 0, fn = 0;
        for (var seed = 1; seed <= 20; seed++)
        {
            var ecg = new SyntheticEcg(250, seed);
            var (mv, beats) = Render(ecg, 300, EcgCondition.Sinus);
            var detector = new QrsDetector(250);
            var found = new List<long>();
            foreach (var v in mv)
            {
                if (detector.Process(v, out var beat))
                {
                    found.Add(beat.SampleIndex);
                }
            }

            // Score after a 10 s learning period, ±150 ms (EC57 window).
            var reference = beats.Select(b => b.SampleIndex).ToList();
            var (t, f, n) = Match(reference, found, 0.150 * 250, from: 2500, to: mv.Length - 100);
            (tp, fp, fn) = (tp + t, fp + f, fn + n);
        }

        var se = (double)tp / (tp + fn);
        var ppv = (double)tp / (tp + fp);
        output.WriteLine($"TP={tp} FP={fp} FN={fn} Se={se:P3} +P={ppv:P3}");
        Assert.True(se >= 0.999, $"sensitivity {se:P3} below 99.9 % (FN={fn})");
        Assert.True(ppv >= 0.999, $"positive predictivity {ppv:P3} below 99.9 % (FP={fp})");
    }

    [Fact]
    public void Render_BeatMarks_SitOnTheRPeaks()
    {
        var ecg = new SyntheticEcg(250, 7);
        var (mv, beats) = Render(ecg, 60, EcgCondition.Sinus);
        foreach (var b in beats.Where(b => b.SampleIndex > 10 && b.SampleIndex < mv.Length - 10))
        {
            var center = (int)Math.Round(b.SampleIndex);
            var peak = center;
            for (var i = center - 8; i <= center + 8; i++)
            {
                peak = mv[i] > mv[peak] ? i : peak;
            }

            Assert.True(Math.Abs(peak - b.SampleIndex) <= 2, $"beat at {b.SampleIndex:F1} but the local maximum is at {peak}");
        }
    }

    [Fact]
    public void Render_Sinus_RateAndVariabilityFollowTheProfile()
    {
        var profile = new PatientProfile { HeartRateBpm = 72, RrVariability = 0.04, RespirationRate = 15 };
        var ecg = new SyntheticEcg(250, 3, profile);
        var (_, beats) = Render(ecg, 300, EcgCondition.Sinus);
        var rr = Rr(beats, 250);
        var hr = 60 / Mean(rr);
        var sdnn = Std(rr) / Mean(rr);
        output.WriteLine($"HR {hr:F1} bpm, SDNN/RR {sdnn:P1}");
        Assert.InRange(hr, 70, 74);
        Assert.InRange(sdnn, 0.02, 0.07);
        Assert.All(beats, b => Assert.Equal('N', b.Symbol));
    }

    [Fact]
    public void Render_AtrialFibrillation_IsIrregularAndLacksPWaves()
    {
        var ecg = new SyntheticEcg(250, 11);
        var sinus = Rr(Render(ecg, 120, EcgCondition.Sinus).Beats, 250);
        var (afMv, afBeats) = Render(ecg, 120, EcgCondition.For(EpisodeKind.AtrialFibrillation));
        var af = Rr(afBeats, 250)[5..];
        output.WriteLine($"nRMSSD sinus {NormalisedRmssd(sinus):F3}, AF {NormalisedRmssd(af):F3}");
        Assert.True(NormalisedRmssd(af) > 0.15, "AF should be irregularly irregular");
        Assert.True(NormalisedRmssd(sinus) < 0.06, "sinus rhythm should be regular");
        Assert.True(NormalisedRmssd(af) > 4 * NormalisedRmssd(sinus));
        Assert.InRange(60 / Mean(af), 80, 130);
        // f waves: the segment 120–200 ms before each R (where a P wave would be) carries 4–9 Hz activity, not a smooth hump;
        // the generator marks AF beats 'N' (conducted), as MIT-BIH does.
        Assert.All(afBeats, b => Assert.Equal('N', b.Symbol));
        Assert.True(afMv.Length == 120 * 250);
    }

    [Fact]
    public void Render_Pvc_PrematureWideBeatsWithCompensatoryPause()
    {
        var ecg = new SyntheticEcg(250, 5, new PatientProfile { HeartRateBpm = 70, RrVariability = 0.01 });
        Render(ecg, 10, EcgCondition.Sinus);
        var (_, beats) = Render(ecg, 120, new EcgCondition { Rhythm = EpisodeKind.Pvc, PvcEvery = 3 });
        var rr = Rr(beats, 250);
        var sinusRr = 60 / 70.0;
        var pvcs = 0;
        for (var i = 1; i + 1 < beats.Count; i++)
        {
            if (beats[i].Symbol != 'V')
            {
                continue;
            }

            pvcs++;
            Assert.True(rr[i - 1] < 0.7 * sinusRr, $"PVC {i} not premature: coupling {rr[i - 1]:F3} s");
            Assert.InRange(rr[i - 1] + rr[i], 1.85 * sinusRr, 2.15 * sinusRr);   // full compensatory pause
            Assert.Equal('N', beats[i + 1].Symbol);
        }

        Assert.InRange(pvcs, 30, 50);   // every 4th beat over ~140 beats
    }

    [Fact]
    public void Render_VentricularTachycardia_FastVentricularRun()
    {
        var ecg = new SyntheticEcg(250, 9);
        Render(ecg, 5, EcgCondition.Sinus);
        var (_, beats) = Render(ecg, 20, new EcgCondition { Rhythm = EpisodeKind.VentricularTachycardia, RateBpm = 180 });
        var v = beats.Skip(2).ToList();
        Assert.All(v, b => Assert.Equal('V', b.Symbol));
        Assert.InRange(60 / Mean(Rr(v, 250)), 170, 190);
    }

    [Theory]
    [InlineData(EpisodeKind.Bradycardia, 40, 36, 44)]
    [InlineData(EpisodeKind.Tachycardia, 135, 128, 142)]
    public void Render_RateEpisodes_ReachTheirRate(EpisodeKind kind, double rate, double low, double high)
    {
        var ecg = new SyntheticEcg(250, 13);
        Render(ecg, 5, EcgCondition.Sinus);
        var (_, beats) = Render(ecg, 60, new EcgCondition { Rhythm = kind, RateBpm = rate });
        var settled = beats.Where(b => b.SampleIndex > (5 + 15) * 250).ToList();
        Assert.InRange(60 / Mean(Rr(settled, 250)), low, high);
    }

    [Fact]
    public void Generate_LeadOff_FlatTraceAndFlag()
    {
        var ecg = new SyntheticEcg(250, 2);
        var frame = new TelemetryFrame();
        ecg.Generate(frame, DateTimeOffset.UnixEpoch.AddSeconds(100), 250, EpisodeKind.LeadOff);
        Assert.True(frame.LeadOff);
        Assert.Equal(100_000_000, frame.TimestampMicros);
        Assert.True(frame.Samples.ToArray().All(s => Math.Abs(s) <= 6), "lead-off trace should be flat (noise only)");
        ecg.Generate(frame, DateTimeOffset.UnixEpoch.AddSeconds(101), 250, null);
        Assert.False(frame.LeadOff);
        Assert.True(frame.Samples.ToArray().Max() > 100, "sinus frame should contain an R wave (> 0.5 mV)");
    }

    [Fact]
    public void Render_MotionNoise_AddsLargeArtefactOverTheSameBeats()
    {
        var clean = Render(new SyntheticEcg(250, 4), 30, EcgCondition.Sinus);
        var noisy = Render(new SyntheticEcg(250, 4), 30, EcgCondition.For(EpisodeKind.MotionNoise));
        Assert.Equal(clean.Beats.Count, noisy.Beats.Count);
        var diff = clean.Mv.Zip(noisy.Mv, (a, b) => (double)(b - a)).ToArray();
        Assert.True(Std(diff) > 0.05, $"motion artefact too small: {Std(diff):F3} mV");
    }

    [Fact]
    public void Render_SameSeed_SameSignal_DifferentSeed_DifferentPatient()
    {
        var a = Render(new SyntheticEcg(250, 42), 10, EcgCondition.Sinus).Mv;
        var b = Render(new SyntheticEcg(250, 42), 10, EcgCondition.Sinus).Mv;
        var c = Render(new SyntheticEcg(250, 43), 10, EcgCondition.Sinus).Mv;
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Theory]
    [InlineData(125)]
    [InlineData(360)]
    [InlineData(1000)]
    public void Render_OtherSampleRates_SameHeartRate(int rate)
    {
        var profile = new PatientProfile { HeartRateBpm = 65 };
        var (_, beats) = Render(new SyntheticEcg(rate, 1, profile), 60, EcgCondition.Sinus);
        Assert.InRange(60 / Mean(Rr(beats, rate)), 62, 68);
    }

    [Fact]
    public void Render_TenThousandDevices_CheapEnoughForOneProcess()
    {
        // The fleet's budget: 10,000 devices × 250 samples/s on 2 cores. Rendering must take a small share of one core.
        var devices = Enumerable.Range(0, 2000).Select(i => new SyntheticEcg(250, i)).ToArray();
        var frame = new short[250];
        foreach (var d in devices)
        {
            d.Render(frame, EcgCondition.Sinus);
        }

        var clock = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        for (var s = 0; s < 5; s++)
        {
            foreach (var d in devices)
            {
                d.Render(frame, EcgCondition.Sinus);
            }
        }

        var used = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        var perSample = used.TotalMilliseconds * 1e6 / (5.0 * 2000 * 250);
        output.WriteLine($"{perSample:F1} ns/sample CPU ({clock.ElapsedMilliseconds} ms wall): 10,000 devices need {perSample * 2.5e6 / 1e9:P1} of a core");
        // Generous bound for a loaded shared machine: < 400 ns/sample = 1 core for 10,000 devices.
        Assert.True(perSample < 400, $"{perSample:F0} ns per sample");
    }

    [Fact]
    public void Constructor_BadSampleRate_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SyntheticEcg(100, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SyntheticEcg(2000, 1));
    }
}
