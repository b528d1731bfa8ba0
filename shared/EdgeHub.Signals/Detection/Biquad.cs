namespace EdgeHub.Signals;

/// <summary>
/// Second-order IIR section (direct form II transposed) with Butterworth designs from the bilinear transform
/// (RBJ audio-EQ cookbook formulas, Q = 1/√2). A value type so detectors embed it without allocation.
/// </summary>
internal struct Biquad
{
    private double _b0, _b1, _b2, _a1, _a2;
    private double _z1, _z2;

    public static Biquad LowPass(double sampleRate, double cutoffHz) => Design(sampleRate, cutoffHz, lowPass: true);

    public static Biquad HighPass(double sampleRate, double cutoffHz) => Design(sampleRate, cutoffHz, lowPass: false);

    private static Biquad Design(double fs, double fc, bool lowPass)
    {
        fc = Math.Min(fc, fs * 0.45);
        var w0 = 2 * Math.PI * fc / fs;
        var cos = Math.Cos(w0);
        var alpha = Math.Sin(w0) / (2 * Math.Sqrt(0.5));
        var a0 = 1 + alpha;
        var q = new Biquad();
        if (lowPass)
        {
            q._b0 = (1 - cos) / 2 / a0;
            q._b1 = (1 - cos) / a0;
            q._b2 = q._b0;
        }
        else
        {
            q._b0 = (1 + cos) / 2 / a0;
            q._b1 = -(1 + cos) / a0;
            q._b2 = q._b0;
        }

        q._a1 = -2 * cos / a0;
        q._a2 = (1 - alpha) / a0;
        return q;
    }

    public double Step(double x)
    {
        var y = _b0 * x + _z1;
        _z1 = _b1 * x - _a1 * y + _z2;
        _z2 = _b2 * x - _a2 * y;
        return y;
    }

    /// <summary>Sets the state as if the input had been <paramref name="x"/> forever (avoids a start-up transient).</summary>
    public void Prime(double x)
    {
        // Steady state of DF2T for constant input x: y = H(1)·x.
        var gain = (_b0 + _b1 + _b2) / (1 + _a1 + _a2);
        var y = gain * x;
        _z2 = _b2 * x - _a2 * y;
        _z1 = _b1 * x - _a1 * y + _z2;
    }

    public void Clear()
    {
        _z1 = 0;
        _z2 = 0;
    }

    /// <summary>Group delay in samples at <paramref name="hz"/> (numerical derivative of the phase response).</summary>
    public readonly double GroupDelay(double fs, double hz)
    {
        const double dw = 1e-4;
        var w = 2 * Math.PI * hz / fs;
        return -(Phase(w + dw) - Phase(w - dw)) / (2 * dw);
    }

    private readonly double Phase(double w)
    {
        // H(e^jw) = (b0 + b1 e^-jw + b2 e^-2jw) / (1 + a1 e^-jw + a2 e^-2jw)
        var nr = _b0 + _b1 * Math.Cos(w) + _b2 * Math.Cos(2 * w);
        var ni = -_b1 * Math.Sin(w) - _b2 * Math.Sin(2 * w);
        var dr = 1 + _a1 * Math.Cos(w) + _a2 * Math.Cos(2 * w);
        var di = -_a1 * Math.Sin(w) - _a2 * Math.Sin(2 * w);
        return Math.Atan2(ni, nr) - Math.Atan2(di, dr);
    }
}
