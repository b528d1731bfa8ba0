using EdgeHub.Contracts;

namespace EdgeHub.Signals;

public sealed partial class EcgStreamAnalyzer
{
    /// <summary>
    /// Writes the <see cref="FeatureSchema.Count"/> features of the latest window, in schema order. Values that cannot be
    /// computed (too few beats, no vitals yet) are the schema's defaults; the output is never NaN or infinite.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="FeatureSchema.Count"/>.</exception>
    public void WriteFeatures(Span<float> destination)
    {
        var count = FeatureSchema.Count;
        if (destination.Length < count)
        {
            throw new ArgumentException($"feature destination holds {destination.Length} values, schema {FeatureSchema.Id} has {count}", nameof(destination));
        }

        var f = destination[..count];
        var windowStart = _samples - (long)FeatureSchema.WindowSeconds * _sampleRate;

        // Beats and RR intervals inside the window.
        Span<double> rr = stackalloc double[MaxBeats];
        Span<double> rrTime = stackalloc double[MaxBeats];
        int beats = 0, nrr = 0, premature = 0, wide = 0, run = 0, maxRun = 0;
        double widthSum = 0, widthMax = 0, ampSum = 0, ampSq = 0;
        long previous = -1;
        for (var i = 0; i < _beatCount; i++)
        {
            var slot = SlotOf(i);
            ref var b = ref _beats[slot];
            var index = IndexOf(b);
            if (index < windowStart)
            {
                previous = -1;
                continue;
            }

            beats++;
            premature += Flag(_premature, slot) ? 1 : 0;
            wide += b.WidthMs > WideQrsMs ? 1 : 0;
            widthSum += b.WidthMs;
            widthMax = Math.Max(widthMax, b.WidthMs);
            ampSum += b.AmplitudeMv;
            ampSq += (double)b.AmplitudeMv * b.AmplitudeMv;
            if (previous >= 0)
            {
                rr[nrr] = (index - previous) * 1000.0 / _sampleRate;
                rrTime[nrr] = (index - windowStart) / (60.0 * _sampleRate);
                nrr++;
                run = Flag(_fastWide, slot) ? run + 1 : 0;
                maxRun = Math.Max(maxRun, run);
            }

            previous = index;
        }

        var intervals = rr[..nrr];
        var mean = RrStatistics.Mean(intervals);
        double minRr = double.NaN, maxRr = double.NaN;
        if (nrr > 0)
        {
            minRr = double.MaxValue;
            maxRr = 0;
            foreach (var v in intervals)
            {
                minRr = Math.Min(minRr, v);
                maxRr = Math.Max(maxRr, v);
            }
        }

        Set(f, 0, 60000 / mean);
        Set(f, 1, 60000 / maxRr);
        Set(f, 2, 60000 / minRr);
        Set(f, 3, mean);
        var sdnn = RrStatistics.Sdnn(intervals);
        var rmssd = RrStatistics.Rmssd(intervals);
        Set(f, 4, sdnn);
        Set(f, 5, rmssd);
        Set(f, 6, RrStatistics.Pnn50(intervals));
        Set(f, 7, sdnn / mean);
        Set(f, 8, rmssd / mean);
        Set(f, 9, RrStatistics.TurningPointRatio(intervals));
        Set(f, 10, RrStatistics.ShannonEntropy(intervals));
        Set(f, 11, RrStatistics.MaxSuccessiveRatio(intervals));
        Set(f, 12, beats > 0 ? (double)premature / beats : double.NaN);
        f[13] = maxRun;
        Set(f, 14, beats > 0 ? widthSum / beats : double.NaN);
        Set(f, 15, beats > 0 ? widthMax : double.NaN);
        Set(f, 16, beats > 0 ? (double)wide / beats : double.NaN);
        var ampMean = beats > 0 ? ampSum / beats : double.NaN;
        Set(f, 17, ampMean);
        Set(f, 18, beats > 1 && ampMean > 0 ? Math.Sqrt(Math.Max(0, ampSq / beats - ampMean * ampMean)) / ampMean : double.NaN);
        f[19] = beats;
        // A beat is reported up to QrsDetector.MaxDelaySeconds after its R peak, so only that much less silence is certain.
        var sinceLast = Math.Max(0, SecondsSinceLastBeat - QrsDetector.MaxDelaySeconds) * 1000;
        Set(f, 20, nrr > 0 ? Math.Max(maxRr, sinceLast) : (_samples > 0 ? sinceLast : double.NaN));
        WriteQuality(f, windowStart);
        Set(f, 26, _spo2 ?? double.NaN);
        Set(f, 27, _resp ?? double.NaN);
        Set(f, 28, _sys ?? double.NaN);
        Set(f, 29, _dia ?? double.NaN);
        Set(f, 30, _temp ?? double.NaN);
        Set(f, 31, HrTrend(intervals, rrTime[..nrr]));
    }

    private void WriteQuality(Span<float> f, long windowStart)
    {
        long total = 0, saturated = 0, leadOff = 0, bad = 0;
        double diffSquares = 0;
        float wanderMin = float.MaxValue, wanderMax = float.MinValue;
        var firstBlock = Math.Max(0, windowStart) / _sampleRate;
        foreach (ref readonly var block in _blocks.AsSpan())
        {
            if (block.Count == 0 || block.Block < firstBlock)
            {
                continue;
            }

            total += block.Count;
            saturated += block.Saturated;
            leadOff += Math.Min(block.LeadOff, block.Count);
            diffSquares += block.DiffSquares;
            wanderMin = Math.Min(wanderMin, block.BaselineMin);
            wanderMax = Math.Max(wanderMax, block.BaselineMax);
            bad += block.Noisy ? block.Count : Math.Min(block.Count, Math.Max(block.Saturated, block.LeadOff));
        }

        if (total == 0)
        {
            for (var i = 21; i <= 25; i++)
            {
                f[i] = FeatureSchema.Features[i].Default;
            }

            return;
        }

        Set(f, 21, 1 - (double)bad / total);
        Set(f, 22, wanderMax - wanderMin);
        Set(f, 23, total > 1 ? Math.Sqrt(diffSquares / (total - 1)) : double.NaN);
        Set(f, 24, (double)saturated / total);
        Set(f, 25, (double)leadOff / total);
    }

    /// <summary>Least-squares slope of instantaneous heart rate against time, in bpm per minute (needs 3 intervals).</summary>
    private static double HrTrend(ReadOnlySpan<double> rr, ReadOnlySpan<double> minutes)
    {
        if (rr.Length < 3)
        {
            return double.NaN;
        }

        double st = 0, sh = 0;
        for (var i = 0; i < rr.Length; i++)
        {
            st += minutes[i];
            sh += 60000 / rr[i];
        }

        var tMean = st / rr.Length;
        var hMean = sh / rr.Length;
        double num = 0, den = 0;
        for (var i = 0; i < rr.Length; i++)
        {
            var dt = minutes[i] - tMean;
            num += dt * (60000 / rr[i] - hMean);
            den += dt * dt;
        }

        return den > 0 ? num / den : double.NaN;
    }

    /// <summary>Stores a feature, substituting the schema default for NaN or infinity.</summary>
    private static void Set(Span<float> f, int index, double value)
    {
        var v = (float)value;
        f[index] = float.IsFinite(v) ? v : FeatureSchema.Features[index].Default;
    }
}
