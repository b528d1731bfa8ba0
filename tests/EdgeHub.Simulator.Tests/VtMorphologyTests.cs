using EdgeHub.Contracts;
using EdgeHub.Signals;
using EdgeHub.Testing;
using Xunit.Abstractions;
using static EdgeHub.Simulator.Tests.EcgTestKit;

namespace EdgeHub.Simulator.Tests;

/// <summary>
/// Ventricular beats must look ventricular to the edge: wide QRS (≥ 120 ms) at every VT rate, as in real recordings. The
/// analyzer's width measurement is first checked against real MIT-BIH V beats, then applied to the simulator's VT.
/// </summary>
public class VtMorphologyTests(ITestOutputHelper output)
{
    private const int Fs = 250;

    [Theory]
    [InlineData("119")]
    [InlineData("208")]
    public void QrsWidth_RealMitBihBeats_VentricularWideNormalNarrow(string name)
    {
        var path = Path.Combine(RepoPaths.MitDb, name);
        var record = ReplayRecord.Load(path, Fs);
        // Exact MIT-BIH symbols (the replay truth folds fusion beats into 'V'): only pure V beats count as ventricular here.
        var symbols = new List<(double Sample, string Symbol)>();
        foreach (var a in Wfdb.ReadAnnotations(path + ".atr", 360))
        {
            if (a.IsBeat)
            {
                symbols.Add((a.Sample * Fs / 360.0, a.Symbol));
            }
        }

        var detector = new QrsDetector(Fs);
        var v = new List<float>();
        var n = new List<float>();
        var k = 0;
        for (var i = 0; i < record.Samples.Length; i++)
        {
            if (!detector.Process(record.Samples[i] / SyntheticEcg.Gain, out var beat) || beat.SampleIndex < 5 * Fs)
            {
                continue;
            }

            while (k < symbols.Count && symbols[k].Sample < beat.SampleIndex - (0.15 * Fs))
            {
                k++;
            }

            if (k < symbols.Count && Math.Abs(symbols[k].Sample - beat.SampleIndex) <= 0.15 * Fs)
            {
                (symbols[k].Symbol == "V" ? v : symbols[k].Symbol == "N" ? n : []).Add(beat.WidthMs);
            }
        }

        output.WriteLine($"{name}: {v.Count} V beats, median width {Median(v):F0} ms; {n.Count} N beats, median {Median(n):F0} ms");
        Assert.True(v.Count > 300 && n.Count > 500, $"{name}: matched {v.Count} V and {n.Count} N beats");
        Assert.True(Median(v) >= 120, $"{name}: median V beat width {Median(v):F0} ms, real ventricular QRS is ≥ 120 ms");
        Assert.True(Median(n) < 120, $"{name}: median N beat width {Median(n):F0} ms");
    }

    [Theory]
    [InlineData(150)]
    [InlineData(190)]
    [InlineData(230)]
    public void Render_VentricularTachycardia_WideQrsAndFastWideRunAtEveryRate(double rate)
    {
        var ecg = new SyntheticEcg(Fs, (int)rate);
        var analyzer = new EcgStreamAnalyzer(Fs);
        var detector = new QrsDetector(Fs);
        var frame = new TelemetryFrame();
        var sinus = new List<float>();
        var vt = new List<float>();
        var maxRun = 0;
        for (var second = 0; second < 24; second++)
        {
            var inVt = second >= 12;
            ecg.Generate(frame, DateTimeOffset.UnixEpoch.AddSeconds(second), Fs, inVt ? EpisodeKind.VentricularTachycardia : null);
            frame.SiteId = "ward";
            frame.PatientId = "p";
            analyzer.Append(frame);
            foreach (var raw in frame.Samples)
            {
                if (detector.Process(raw / SyntheticEcg.Gain, out var beat) && beat.SampleIndex > 5 * Fs)
                {
                    // Skip the first second of each rhythm: the transition beat belongs to neither.
                    (beat.SampleIndex > 13 * Fs ? vt : beat.SampleIndex < 12 * Fs ? sinus : []).Add(beat.WidthMs);
                }
            }

            if (inVt)
            {
                maxRun = Math.Max(maxRun, analyzer.RecentFastWideRun);
            }
        }

        output.WriteLine($"VT {rate}/min: {vt.Count} beats, median width {Median(vt):F0} ms, longest fast wide run {maxRun}; sinus median {Median(sinus):F0} ms");
        Assert.True(vt.Count > 15, $"{vt.Count} VT beats detected");
        Assert.True(Median(vt) >= 120, $"VT at {rate}/min: median QRS width {Median(vt):F0} ms (real VT: ≥ 120 ms, typically 140-200)");
        Assert.True(Median(vt) <= 220, $"VT at {rate}/min: median QRS width {Median(vt):F0} ms is implausibly wide");
        Assert.True(Median(sinus) < 110, $"sinus median QRS width {Median(sinus):F0} ms");
        Assert.True(maxRun >= 3, $"VT at {rate}/min: longest fast wide run {maxRun} beats (the safety net needs ≥ 3)");
    }

    private static double Median(List<float> values)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.ToArray();
        Array.Sort(sorted);
        return sorted[sorted.Length / 2];
    }
}
