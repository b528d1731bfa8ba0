namespace EdgeHub.Simulator;

/// <summary>
/// Beat-to-beat RR intervals with ECGSYN's bimodal spectrum: a Mayer-wave (LF, 0.1 Hz) and a respiratory sinus arrhythmia
/// (HF, at the breathing frequency) component, LF/HF power ratio 0.5 by default. ECGSYN draws the whole tachogram at once
/// by an inverse FFT of Gaussian spectral peaks (c = 0.01 Hz wide); a stream cannot, so each component is a sinusoid whose
/// phase diffuses (Brownian phase noise gives a Lorentzian peak of half-width D/2π; D = 2π·0.01 matches ECGSYN's width).
/// </summary>
internal struct RrTachogram
{
    private const double MayerHz = 0.1;
    private const double PhaseDiffusion = 2 * Math.PI * 0.01;

    private double _phaseLf;
    private double _phaseHf;
    private double _time;

    public RrTachogram(ref SimRandom rng)
    {
        _phaseLf = rng.Uniform(0, 2 * Math.PI);
        _phaseHf = rng.Uniform(0, 2 * Math.PI);
        _time = 0;
    }

    /// <summary>Next RR interval (s) around <paramref name="meanRr"/>.</summary>
    public double Next(ref SimRandom rng, double meanRr, double variability, double lfHfRatio, double respirationHz)
    {
        // A sinusoid of amplitude s has variance s²/2: split the total variance between LF and HF by their ratio.
        var sHf = variability * Math.Sqrt(2 / (1 + lfHfRatio));
        var sLf = sHf * Math.Sqrt(lfHfRatio);
        var rr = meanRr * (1
            + (sLf * Math.Sin((2 * Math.PI * MayerHz * _time) + _phaseLf))
            + (sHf * Math.Sin((2 * Math.PI * respirationHz * _time) + _phaseHf)));
        var step = Math.Sqrt(2 * PhaseDiffusion * rr);
        _phaseLf += step * rng.NextGaussian();
        _phaseHf += step * rng.NextGaussian();
        _time += rr;
        return rr;
    }
}

/// <summary>A 4,096-entry sine table for per-sample oscillators driven by 32-bit phase accumulators (direct digital synthesis).</summary>
internal static class SineTable
{
    public static readonly float[] Values = Build();

    private static float[] Build()
    {
        var values = new float[4096];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)Math.Sin(2 * Math.PI * i / values.Length);
        }

        return values;
    }

    /// <summary>sin of a 32-bit phase (2³² = one turn).</summary>
    public static float Sin(uint phase) => Values[phase >> 20];

    /// <summary>Phase increment per sample for <paramref name="hz"/> at <paramref name="sampleRate"/>.</summary>
    public static uint Increment(double hz, int sampleRate) => (uint)(hz / sampleRate * 4294967296.0);
}
