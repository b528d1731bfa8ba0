using EdgeHub.Contracts;

namespace EdgeHub.Signals.Tests;

public class EcgStreamAnalyzerTests
{
    private static float[] Features(EcgStreamAnalyzer a)
    {
        var f = new float[FeatureSchema.Count];
        a.WriteFeatures(f);
        return f;
    }

    private static float Get(float[] f, string name) => f[FeatureSchema.IndexOf(name)];

    private static EcgStreamAnalyzer Feed(float[] ecg, int fs, Action<EcgStreamAnalyzer, int>? perSecond = null)
    {
        var a = new EcgStreamAnalyzer(fs);
        var second = 0;
        foreach (var frame in SyntheticEcg.Frames(ecg, fs))
        {
            a.Append(frame);
            perSecond?.Invoke(a, ++second);
        }

        return a;
    }

    [Fact]
    public void FeatureSchema_OrderIsTheOneTheAnalyzerWrites()
    {
        // WriteFeatures fills values by index; a reordered schema must fail here rather than mislabel model inputs.
        string[] expected =
        [
            "hr_mean_bpm", "hr_min_bpm", "hr_max_bpm", "rr_mean_ms", "rr_sdnn_ms", "rr_rmssd_ms", "rr_pnn50", "rr_cv", "rr_nrmssd",
            "rr_turning_point_ratio", "rr_shannon_entropy", "rr_max_successive_ratio", "premature_beat_fraction", "fast_run_max_beats",
            "qrs_width_mean_ms", "qrs_width_max_ms", "wide_qrs_fraction", "r_amplitude_mean_mv", "r_amplitude_cv", "beat_count",
            "max_pause_ms", "signal_quality", "baseline_wander_mv", "hf_noise_mv", "saturation_fraction", "lead_off_fraction",
            "spo2_pct", "resp_rate_bpm", "systolic_mmhg", "diastolic_mmhg", "temperature_c", "hr_trend_bpm_per_min",
        ];
        Assert.Equal(expected, FeatureSchema.Features.Select(f => f.Name));
        Assert.Equal("ecg-features-v1", FeatureSchema.Id);
    }

    [Fact]
    public void WriteFeatures_SinusRhythm_HeartRateHrvAndQualityPlausible()
    {
        const int fs = 250;
        var ecg = SyntheticEcg.Render(fs, 60, SyntheticEcg.SinusTimes(60, 75, 1), _ => SyntheticEcg.Normal, 0.01, 1);
        var a = Feed(ecg, fs);
        Assert.True(a.WindowReady);
        var f = Features(a);
        Assert.InRange(Get(f, "hr_mean_bpm"), 70, 80);
        Assert.InRange(a.HeartRateBpm!.Value, 68, 82);
        Assert.InRange(Get(f, "beat_count"), 11, 14);
        Assert.InRange(Get(f, "rr_sdnn_ms"), 5, 40);
        Assert.InRange(Get(f, "qrs_width_mean_ms"), 50, 110);
        Assert.Equal(0, Get(f, "wide_qrs_fraction"));
        Assert.InRange(Get(f, "r_amplitude_mean_mv"), 1.0f, 1.8f);
        Assert.InRange(Get(f, "signal_quality"), 0.99f, 1f);
        Assert.Equal(0, Get(f, "lead_off_fraction"));
        Assert.Equal(0, Get(f, "saturation_fraction"));
        Assert.InRange(Get(f, "max_pause_ms"), 700, 1000);
        Assert.InRange(a.SecondsSinceLastBeat, 0, 1.2);
        Assert.Equal(0, a.RecentFastWideRun);
        Assert.Equal(97, Get(f, "spo2_pct")); // no vitals sent: defaults
    }

    [Fact]
    public void WriteFeatures_AtrialFibrillationVersusSinus_SeparableByIrregularityFeatures()
    {
        const int fs = 250;
        const double seconds = 300;
        var sinus = SyntheticEcg.Render(fs, seconds, SyntheticEcg.SinusTimes(seconds, 80, 11), _ => SyntheticEcg.Normal, 0.02, 11);
        var af = SyntheticEcg.Render(fs, seconds, SyntheticEcg.AfTimes(seconds, 95, 12), _ => SyntheticEcg.Normal, 0.02, 12, pWaves: false);
        var sinusWindows = new List<float[]>();
        var afWindows = new List<float[]>();
        Feed(sinus, fs, (a, s) => { if (s % 10 == 0 && a.WindowReady) { sinusWindows.Add(Features(a)); } });
        Feed(af, fs, (a, s) => { if (s % 10 == 0 && a.WindowReady) { afWindows.Add(Features(a)); } });

        // A fixed threshold per feature separates the two rhythms window by window.
        Separates("rr_nrmssd", 0.08f);
        Separates("rr_shannon_entropy", 1.5f);
        Separates("rr_cv", 0.08f);
        var afTpr = afWindows.Average(f => Get(f, "rr_turning_point_ratio"));
        var sinusTpr = sinusWindows.Average(f => Get(f, "rr_turning_point_ratio"));
        Assert.True(afTpr > sinusTpr, $"turning point ratio AF {afTpr:F2} vs sinus {sinusTpr:F2}");

        void Separates(string name, float threshold)
        {
            var sinusAbove = sinusWindows.Count(f => Get(f, name) >= threshold);
            var afBelow = afWindows.Count(f => Get(f, name) < threshold);
            Assert.True(sinusAbove + afBelow <= (sinusWindows.Count + afWindows.Count) / 20,
                $"{name} at {threshold}: {sinusAbove}/{sinusWindows.Count} sinus windows above, {afBelow}/{afWindows.Count} AF windows below");
        }
    }

    [Fact]
    public void RecentFastWideRun_VentricularTachycardia_CountsConsecutiveBeats()
    {
        const int fs = 250;
        var times = new List<double>();
        for (double t = 0.5; t < 20; t += 0.8)
        {
            times.Add(t);
        }

        var vtStart = times.Count;
        for (double t = 20.3; t < 30; t += 0.33) // 180 bpm, wide
        {
            times.Add(t);
        }

        var ecg = SyntheticEcg.Render(fs, 30, times, i => i >= vtStart ? SyntheticEcg.Ventricular : SyntheticEcg.Normal, 0.01, 5);
        var a = Feed(ecg, fs);
        Assert.True(a.RecentFastWideRun >= 20, $"run {a.RecentFastWideRun}");
        var f = Features(a);
        Assert.True(Get(f, "fast_run_max_beats") >= 20);
        Assert.True(Get(f, "wide_qrs_fraction") > 0.9);
        Assert.InRange(a.HeartRateBpm!.Value, 170, 190);
    }

    [Fact]
    public void Append_FlatLineAndLeadOff_RaisesPauseAndLeadOffAndLowersQuality()
    {
        const int fs = 250;
        var ecg = SyntheticEcg.Render(fs, 30, SyntheticEcg.SinusTimes(20, 70, 6), _ => SyntheticEcg.Normal, 0.01, 6);
        for (var i = 20 * fs; i < ecg.Length; i++)
        {
            ecg[i] = 0.05f; // electrodes off: a flat line for the last 10 s
        }

        var a = Feed(ecg, fs);
        Assert.True(a.SecondsSinceLastBeat > 9, $"{a.SecondsSinceLastBeat} s since last beat");
        var f = Features(a);
        Assert.True(Get(f, "lead_off_fraction") > 0.9, $"lead-off {Get(f, "lead_off_fraction")}");
        Assert.True(Get(f, "signal_quality") < 0.1);
        Assert.True(Get(f, "max_pause_ms") > 9000);

        var flagged = new EcgStreamAnalyzer(fs);
        foreach (var frame in SyntheticEcg.Frames(SyntheticEcg.Render(fs, 12, SyntheticEcg.SinusTimes(12, 70, 7), _ => SyntheticEcg.Normal, 0.01, 7), fs))
        {
            frame.LeadOff = true;
            flagged.Append(frame);
        }

        Assert.Equal(1, Get(Features(flagged), "lead_off_fraction"));
    }

    [Fact]
    public void Append_ClippedAndNoisySignal_ReportsSaturationAndNoise()
    {
        const int fs = 250;
        var ecg = SyntheticEcg.Render(fs, 12, SyntheticEcg.SinusTimes(12, 70, 8), _ => SyntheticEcg.Normal, 0.3, 8);
        var a = new EcgStreamAnalyzer(fs);
        foreach (var frame in SyntheticEcg.Frames(ecg, fs, gain: 5000))
        {
            a.Append(frame); // 0.3 mV noise at 5000 units/mV clips at ±6.5 mV now and then; mostly noise
        }

        var f = Features(a);
        Assert.True(Get(f, "hf_noise_mv") > 0.2);
        Assert.True(Get(f, "signal_quality") < 0.5);

        var clipped = new EcgStreamAnalyzer(fs);
        foreach (var frame in SyntheticEcg.Frames(SyntheticEcg.Render(fs, 12, SyntheticEcg.SinusTimes(12, 70, 9), _ => SyntheticEcg.Normal, 0.01, 9), fs, gain: 40000))
        {
            clipped.Append(frame); // every R peak (> 0.82 mV) hits the int16 rail
        }

        Assert.True(Get(Features(clipped), "saturation_fraction") > 0.005);
    }

    [Fact]
    public void WriteFeatures_DegenerateInputs_NeverNaNOrInfinite()
    {
        foreach (var fs in new[] { 125, 250, 360, 1000 })
        {
            var a = new EcgStreamAnalyzer(fs);
            AssertFinite(Features(a)); // nothing appended yet
            var rnd = new Random(fs);
            var frame = new TelemetryFrame { SampleRate = fs, Gain = 1e-3f, Baseline = short.MinValue };
            for (var s = 0; s < 15; s++)
            {
                var span = frame.SetSampleCount(fs);
                for (var i = 0; i < span.Length; i++)
                {
                    span[i] = s < 5 ? (short)0 : (short)rnd.Next(short.MinValue, short.MaxValue + 1);
                }

                frame.TemperatureC = s == 3 ? float.NaN : 37.5f;
                frame.SpO2 = 250;
                a.Append(frame);
                AssertFinite(Features(a));
            }
        }

        static void AssertFinite(float[] f)
        {
            for (var i = 0; i < f.Length; i++)
            {
                Assert.True(float.IsFinite(f[i]), $"feature {FeatureSchema.Features[i].Name} = {f[i]}");
            }
        }
    }

    [Fact]
    public void Append_VitalsAndStrip_LatestValuesKept()
    {
        const int fs = 250;
        var ecg = SyntheticEcg.Render(fs, 12, SyntheticEcg.SinusTimes(12, 70, 10), _ => SyntheticEcg.Normal, 0.01, 10);
        var a = new EcgStreamAnalyzer(fs);
        var k = 0;
        foreach (var frame in SyntheticEcg.Frames(ecg, fs, gain: 1000, baseline: 100))
        {
            frame.SpO2 = k == 0 ? (byte)91 : null;
            frame.RespirationRate = 22;
            frame.Systolic = 140;
            frame.Diastolic = 90;
            frame.TemperatureC = 38.2f;
            k++;
            a.Append(frame);
        }

        var f = Features(a);
        Assert.Equal(91, Get(f, "spo2_pct")); // later frames without SpO2 keep the last reading
        Assert.Equal(22, Get(f, "resp_rate_bpm"));
        Assert.Equal(140, Get(f, "systolic_mmhg"));
        Assert.Equal(90, Get(f, "diastolic_mmhg"));
        Assert.Equal(38.2f, Get(f, "temperature_c"));


        var strip = new float[3000];
        var n = a.CopyStrip(strip);
        Assert.Equal(10 * fs, n);
        for (var i = 0; i < n; i++)
        {
            Assert.Equal(MathF.Round(ecg[^n..][i] * 1000) / 1000, strip[i], 0.0011f);
        }

        Assert.Equal(5, a.CopyStrip(new float[5]));

        var implausible = new TelemetryFrame { SampleRate = fs, Gain = 1000, SpO2 = 180, TemperatureC = float.PositiveInfinity, Systolic = 999 };
        implausible.SetSampleCount(fs);
        a.Append(implausible);
        f = Features(a);
        Assert.Equal(91, Get(f, "spo2_pct"));
        Assert.Equal(38.2f, Get(f, "temperature_c"));
        Assert.Equal(140, Get(f, "systolic_mmhg"));
    }

    [Fact]
    public void Append_SampleRateChange_Resets_AndBadFramesRejected()
    {
        var a = new EcgStreamAnalyzer(250);
        var ecg = SyntheticEcg.Render(250, 12, SyntheticEcg.SinusTimes(12, 70, 12), _ => SyntheticEcg.Normal, 0.01, 12);
        foreach (var frame in SyntheticEcg.Frames(ecg, 250))
        {
            a.Append(frame);
        }

        Assert.True(a.WindowReady);
        var other = new TelemetryFrame { SampleRate = 500, Gain = 200 };
        other.SetSampleCount(500);
        a.Append(other);
        Assert.Equal(500, a.SampleRate);
        Assert.Equal(500, a.SamplesSeen);
        Assert.False(a.WindowReady);
        Assert.Null(a.HeartRateBpm);

        Assert.Throws<ArgumentException>(() => a.Append(new TelemetryFrame { SampleRate = 500, Gain = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => a.Append(new TelemetryFrame { SampleRate = 50, Gain = 200 }));
        Assert.Throws<ArgumentException>(() => a.WriteFeatures(new float[FeatureSchema.Count - 1]));
    }

    [Fact]
    public void Analyzer_MemoryBoundedAndAppendAllocatesNothing()
    {
        const int fs = 250;
        var before = GC.GetAllocatedBytesForCurrentThread();
        var many = new EcgStreamAnalyzer[200];
        for (var i = 0; i < many.Length; i++)
        {
            many[i] = new EcgStreamAnalyzer(fs);
        }

        var perAnalyzer = (GC.GetAllocatedBytesForCurrentThread() - before) / many.Length;
        Assert.True(perAnalyzer <= 12 * 1024, $"{perAnalyzer} bytes per analyzer at {fs} Hz");
        Assert.True(many[0].ApproximateBytes <= 12 * 1024);

        var frames = SyntheticEcg.Frames(SyntheticEcg.Render(fs, 40, SyntheticEcg.SinusTimes(40, 70, 13), _ => SyntheticEcg.Normal, 0.01, 13), fs).ToList();
        var a = many[0];
        var features = new float[FeatureSchema.Count];
        var strip = new float[fs * 10];
        for (var i = 0; i < 15; i++)
        {
            a.Append(frames[i]);
        }

        SteadyStateAllocations.AssertNone(frames.Count - 15, k =>
        {
            a.Append(frames[15 + k]);
            a.WriteFeatures(features);
            a.CopyStrip(strip);
            _ = a.HeartRateBpm;
        });
    }
}
