namespace EdgeHub.Simulator;

/// <summary>
/// Band-limited resampling by a windowed-sinc interpolator (Smith, "Digital Audio Resampling"): each output sample is a
/// 32-tap Blackman-windowed sinc of the input around its position, the kernel tabulated at 256 fractional phases. The cutoff
/// sits at 90 % of the lower Nyquist frequency, so 360 → 250 Hz removes what 250 Hz cannot carry (above 112.5 Hz)
/// instead of aliasing it, and QRS energy (5–40 Hz) passes untouched.
/// </summary>
public static class Resampler
{
    private const int HalfTaps = 16;
    private const int Phases = 256;

    /// <summary>Resamples <paramref name="input"/> from <paramref name="fromRate"/> to <paramref name="toRate"/> Hz.</summary>
    public static float[] Resample(ReadOnlySpan<float> input, double fromRate, double toRate)
    {
        if (fromRate <= 0 || toRate <= 0 || !double.IsFinite(fromRate) || !double.IsFinite(toRate))
        {
            throw new ArgumentException($"sample rates must be positive (got {fromRate} → {toRate} Hz)");
        }

        if (fromRate == toRate)
        {
            return input.ToArray();
        }

        var cutoff = 0.9 * Math.Min(fromRate, toRate) / 2 / fromRate;   // cycles per input sample
        var table = BuildKernel(cutoff);
        var ratio = fromRate / toRate;
        var count = (int)Math.Floor((input.Length - 1) / ratio) + 1;
        var output = new float[count];
        for (var n = 0; n < count; n++)
        {
            var x = n * ratio;
            var i0 = (int)Math.Floor(x);
            var phase = (int)Math.Round((x - i0) * Phases);
            if (phase == Phases)
            {
                (i0, phase) = (i0 + 1, 0);
            }

            var kernel = table.AsSpan(phase * 2 * HalfTaps, 2 * HalfTaps);
            double sum = 0;
            for (var k = 0; k < kernel.Length; k++)
            {
                // Edges repeat the first/last sample rather than pretending the signal was zero there.
                var j = Math.Clamp(i0 - HalfTaps + 1 + k, 0, input.Length - 1);
                sum += kernel[k] * input[j];
            }

            output[n] = (float)sum;
        }

        return output;
    }

    private static float[] BuildKernel(double cutoff)
    {
        var table = new float[Phases * 2 * HalfTaps];
        for (var p = 0; p < Phases; p++)
        {
            var frac = (double)p / Phases;
            double total = 0;
            var row = table.AsSpan(p * 2 * HalfTaps, 2 * HalfTaps);
            for (var k = 0; k < row.Length; k++)
            {
                var d = (k - HalfTaps + 1) - frac;            // distance from the output position, in input samples
                var sinc = d == 0 ? 1 : Math.Sin(2 * Math.PI * cutoff * d) / (2 * Math.PI * cutoff * d);
                var w = (d + HalfTaps) / (2.0 * HalfTaps);     // Blackman window over (−16, 16)
                var window = w is <= 0 or >= 1 ? 0 : 0.42 - (0.5 * Math.Cos(2 * Math.PI * w)) + (0.08 * Math.Cos(4 * Math.PI * w));
                row[k] = (float)(sinc * window);
                total += row[k];
            }

            // Unity gain at DC for every phase: no ripple from phase to phase on the baseline.
            for (var k = 0; k < row.Length; k++)
            {
                row[k] = (float)(row[k] / total);
            }
        }

        return table;
    }
}
