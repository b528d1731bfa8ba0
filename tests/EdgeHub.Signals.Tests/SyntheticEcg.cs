namespace EdgeHub.Signals.Tests;

/// <summary>Gaussian-sum ECG (P, Q, R, S, T waves per beat, after McSharry et al. 2003) for detector and feature tests.</summary>
internal static class SyntheticEcg
{
    public readonly record struct Wave(double AmplitudeMv, double OffsetSeconds, double WidthSeconds);

    public static readonly Wave[] Normal =
    [
        new(0.15, -0.20, 0.025), new(-0.12, -0.035, 0.010), new(1.2, 0, 0.011), new(-0.25, 0.035, 0.010), new(0.30, 0.28, 0.050),
    ];

    /// <summary>A wide ventricular beat: no P wave, broad R, discordant T.</summary>
    public static readonly Wave[] Ventricular = [new(1.5, 0, 0.035), new(-0.5, 0.07, 0.03), new(-0.45, 0.30, 0.07)];

    /// <summary>Beat times (s) with sinus rhythm: mean RR from <paramref name="bpm"/>, 4 % respiratory modulation, 1 % jitter.</summary>
    public static List<double> SinusTimes(double seconds, double bpm, int seed)
    {
        var rnd = new Random(seed);
        var times = new List<double>();
        var mean = 60 / bpm;
        for (var t = 0.5; t < seconds - 0.5;)
        {
            times.Add(t);
            t += mean * (1 + 0.04 * Math.Sin(2 * Math.PI * t / 4.0) + 0.01 * (rnd.NextDouble() - 0.5));
        }

        return times;
    }

    /// <summary>Beat times of atrial fibrillation: independent RR intervals spread ±35 % around the mean.</summary>
    public static List<double> AfTimes(double seconds, double bpm, int seed)
    {
        var rnd = new Random(seed);
        var times = new List<double>();
        var mean = 60 / bpm;
        for (var t = 0.5; t < seconds - 0.5;)
        {
            times.Add(t);
            t += mean * (0.65 + 0.7 * rnd.NextDouble());
        }

        return times;
    }

    /// <summary>Renders beats into samples (mV) with baseline wander and white noise.</summary>
    public static float[] Render(int sampleRate, double seconds, IReadOnlyList<double> beats, Func<int, Wave[]> shape, double noiseMv, int seed, bool pWaves = true)
    {
        var n = (int)(seconds * sampleRate);
        var x = new double[n];
        var rnd = new Random(seed);
        for (var b = 0; b < beats.Count; b++)
        {
            var waves = shape(b);
            foreach (var w in waves)
            {
                if (!pWaves && w.OffsetSeconds < -0.1)
                {
                    continue;
                }

                var centre = beats[b] + w.OffsetSeconds;
                var from = Math.Max(0, (int)((centre - 5 * w.WidthSeconds) * sampleRate));
                var to = Math.Min(n - 1, (int)((centre + 5 * w.WidthSeconds) * sampleRate));
                for (var i = from; i <= to; i++)
                {
                    var d = (i / (double)sampleRate - centre) / w.WidthSeconds;
                    x[i] += w.AmplitudeMv * Math.Exp(-0.5 * d * d);
                }
            }
        }

        var result = new float[n];
        for (var i = 0; i < n; i++)
        {
            var t = i / (double)sampleRate;
            var noise = noiseMv * Gaussian(rnd);
            result[i] = (float)(x[i] + 0.1 * Math.Sin(2 * Math.PI * 0.25 * t) + noise);
        }

        return result;
    }

    /// <summary>Fills telemetry frames of one second from mV samples (gain 200 ADC units per mV, baseline 0).</summary>
    public static IEnumerable<EdgeHub.Contracts.TelemetryFrame> Frames(float[] mv, int sampleRate, float gain = 200, short baseline = 0)
    {
        for (var start = 0; start < mv.Length; start += sampleRate)
        {
            var frame = new EdgeHub.Contracts.TelemetryFrame { SampleRate = sampleRate, Gain = gain, Baseline = baseline };
            var count = Math.Min(sampleRate, mv.Length - start);
            var span = frame.SetSampleCount(count);
            for (var i = 0; i < count; i++)
            {
                span[i] = (short)Math.Clamp(Math.Round(mv[start + i] * gain + baseline), short.MinValue, short.MaxValue);
            }

            yield return frame;
        }
    }

    private static double Gaussian(Random rnd) =>
        Math.Sqrt(-2 * Math.Log(1 - rnd.NextDouble())) * Math.Cos(2 * Math.PI * rnd.NextDouble());
}
