namespace EdgeHub.Signals;

/// <summary>
/// Heart-rate variability and irregularity measures over a run of RR intervals (milliseconds). Every method takes a span, never
/// allocates, and returns NaN when the input is too short for the measure (callers substitute their default).
/// </summary>
public static class RrStatistics
{
    /// <summary>Number of bins of the RR histogram used by <see cref="ShannonEntropy"/>.</summary>
    public const int EntropyBins = 16;

    /// <summary>Mean RR interval (needs 1 interval).</summary>
    public static double Mean(ReadOnlySpan<double> rr)
    {
        if (rr.IsEmpty)
        {
            return double.NaN;
        }

        double s = 0;
        foreach (var v in rr)
        {
            s += v;
        }

        return s / rr.Length;
    }

    /// <summary>SDNN: sample standard deviation of the intervals (needs 2).</summary>
    public static double Sdnn(ReadOnlySpan<double> rr)
    {
        if (rr.Length < 2)
        {
            return double.NaN;
        }

        var mean = Mean(rr);
        double ss = 0;
        foreach (var v in rr)
        {
            ss += (v - mean) * (v - mean);
        }

        return Math.Sqrt(ss / (rr.Length - 1));
    }

    /// <summary>RMSSD: root mean square of successive differences (needs 2).</summary>
    public static double Rmssd(ReadOnlySpan<double> rr)
    {
        if (rr.Length < 2)
        {
            return double.NaN;
        }

        double ss = 0;
        for (var i = 1; i < rr.Length; i++)
        {
            var d = rr[i] - rr[i - 1];
            ss += d * d;
        }

        return Math.Sqrt(ss / (rr.Length - 1));
    }

    /// <summary>pNN50: fraction of successive differences larger than 50 ms (needs 2).</summary>
    public static double Pnn50(ReadOnlySpan<double> rr)
    {
        if (rr.Length < 2)
        {
            return double.NaN;
        }

        var count = 0;
        for (var i = 1; i < rr.Length; i++)
        {
            if (Math.Abs(rr[i] - rr[i - 1]) > 50)
            {
                count++;
            }
        }

        return (double)count / (rr.Length - 1);
    }

    /// <summary>
    /// Turning point ratio: share of inner intervals that are a strict local maximum or minimum (needs 3). An independent random
    /// series gives 2/3; sinus rhythm, with its slow respiratory modulation, gives less.
    /// </summary>
    public static double TurningPointRatio(ReadOnlySpan<double> rr)
    {
        if (rr.Length < 3)
        {
            return double.NaN;
        }

        var turns = 0;
        for (var i = 1; i < rr.Length - 1; i++)
        {
            if ((rr[i] > rr[i - 1] && rr[i] > rr[i + 1]) || (rr[i] < rr[i - 1] && rr[i] < rr[i + 1]))
            {
                turns++;
            }
        }

        return (double)turns / (rr.Length - 2);
    }

    /// <summary>
    /// Shannon entropy in bits of the histogram of intervals normalised by their mean, over 16 bins spanning 0.5–1.5 × mean
    /// (intervals outside go to the edge bins); needs 2. Fixed-width bins relative to the mean keep a steady sinus rhythm in one
    /// or two bins (near 0 bits) while atrial fibrillation spreads across many (2–4 bits); bins spanning min–max, as in Dash et
    /// al. 2009, would inflate the entropy of a steady rhythm.
    /// </summary>
    public static double ShannonEntropy(ReadOnlySpan<double> rr)
    {
        if (rr.Length < 2)
        {
            return double.NaN;
        }

        var mean = Mean(rr);
        Span<int> bins = stackalloc int[EntropyBins];
        foreach (var v in rr)
        {
            var b = (int)Math.Floor((v / mean - 0.5) * EntropyBins);
            bins[Math.Clamp(b, 0, EntropyBins - 1)]++;
        }

        double h = 0;
        foreach (var c in bins)
        {
            if (c > 0)
            {
                var p = (double)c / rr.Length;
                h -= p * Math.Log2(p);
            }
        }

        return h;
    }

    /// <summary>Largest ratio between two successive intervals, longer over shorter (needs 2).</summary>
    public static double MaxSuccessiveRatio(ReadOnlySpan<double> rr)
    {
        if (rr.Length < 2)
        {
            return double.NaN;
        }

        double max = 1;
        for (var i = 1; i < rr.Length; i++)
        {
            var a = rr[i - 1];
            var b = rr[i];
            if (a > 0 && b > 0)
            {
                max = Math.Max(max, Math.Max(a / b, b / a));
            }
        }

        return max;
    }
}
