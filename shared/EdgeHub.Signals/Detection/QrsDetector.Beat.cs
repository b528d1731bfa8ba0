namespace EdgeHub.Signals;

public sealed partial class QrsDetector
{
    private const double WidthThreshold = 0.2;   // QRS edges: where |band-passed| stays under 20 % of its peak
    private const double MaxRrSeconds = 2.5;     // longer gaps (pauses, lead-off) are kept out of the RR history
    private const double WidthGapSeconds = 0.020; // a QRS edge needs 20 ms below threshold (MIT-BIH: N 2 % / V 80 % over 120 ms)

    /// <summary>Locates the R peak of the accepted candidate and measures it; updates the RR history.</summary>
    private bool MakeBeat(long n, out Beat beat)
    {
        var oldest = n - _ringLength + 1;
        var peakBp = PeakOfBandPass(_candAt, out var best);
        var r = Math.Max(0, peakBp - _filterDelay);
        var maxBack = (long)Math.Floor(MaxDelaySeconds * SampleRate);
        if (n - r > maxBack)
        {
            r = n - maxBack; // keep the reporting promise even for very wide complexes
        }

        r = RefineOnRaw(r, n - maxBack, oldest, out var amplitude);
        var premature = false;
        if (_lastBeatIndex >= 0)
        {
            double rr = r - _lastBeatIndex;
            if (_rrCount >= 2 && rr < 0.8 * RrMean())
            {
                premature = true;
            }

            if (rr > 0 && rr < MaxRrSeconds * SampleRate)
            {
                _rr[_rrIndex] = rr;
                _rrIndex = (_rrIndex + 1) % History;
                _rrCount = Math.Min(_rrCount + 1, History);
            }
        }

        _lastBeatIndex = r;
        beat = new Beat(r, amplitude, Width(peakBp, best, oldest, n), premature);
        return true;
    }

    /// <summary>Where the band-passed signal peaks (largest magnitude) in the integration window ending at an integrated-signal peak.</summary>
    private long PeakOfBandPass(long mwiPeak, out float best)
    {
        var from = Math.Max(_n - _ringLength, mwiPeak - _mwiLength);
        long at = mwiPeak;
        best = -1;
        for (var i = from; i <= mwiPeak; i++)
        {
            var v = Math.Abs(_bp[(int)(i & _ringMask)]);
            if (v > best)
            {
                best = v;
                at = i;
            }
        }

        return at;
    }

    /// <summary>Estimated R-peak sample of a candidate whose integrated-signal peak is at <paramref name="mwiPeak"/>.</summary>
    private long EstimateR(long mwiPeak) => Math.Max(0, PeakOfBandPass(mwiPeak, out _) - _filterDelay);

    /// <summary>
    /// Moves the R estimate to the largest deflection of the raw signal from the PR baseline within ±40 ms (the band-pass peak
    /// can sit on a steep flank), never earlier than <paramref name="earliest"/> so the delay promise holds; returns the
    /// deflection's size in mV.
    /// </summary>
    private long RefineOnRaw(long r, long earliest, long oldest, out float amplitude)
    {
        // Baseline from the PR segment: mean of the raw signal 100–60 ms before the first R estimate.
        var a = Math.Max(oldest, r - (long)Math.Round(0.100 * SampleRate));
        var b = Math.Max(a, r - (long)Math.Round(0.060 * SampleRate));
        double s = 0;
        var c = 0;
        for (var i = a; i <= b; i++)
        {
            s += _raw[(int)(i & _ringMask)];
            c++;
        }

        var baseline = c == 0 ? 0 : s / c;
        var reach = (long)Math.Round(0.050 * SampleRate);
        var best = r;
        var bestValue = -1.0;
        for (var i = Math.Max(Math.Max(oldest, earliest), r - reach); i <= r + reach && i < _n; i++)
        {
            var v = Math.Abs(_raw[(int)(i & _ringMask)] - baseline);
            if (v > bestValue)
            {
                bestValue = v;
                best = i;
            }
        }

        amplitude = (float)Math.Max(0, bestValue);
        return best;
    }

    private float Width(long peak, float peakValue, long oldest, long newest)
    {
        if (peakValue <= 0)
        {
            return 0;
        }

        var thr = (float)(WidthThreshold * peakValue);
        var gap = Math.Max(1, (int)Math.Round(WidthGapSeconds * SampleRate));
        var limit = (long)Math.Round(0.120 * SampleRate);
        var left = Edge(peak, -1, Math.Max(oldest, peak - limit), thr, gap);
        var right = Edge(peak, +1, Math.Min(newest, peak + limit), thr, gap);
        return (float)((right - left + 1) * 1000.0 / SampleRate);
    }

    /// <summary>Walks from the peak until the band-passed signal has stayed below the threshold for <paramref name="gap"/> samples.</summary>
    private long Edge(long peak, int dir, long bound, float thr, int gap)
    {
        var edge = peak;
        var quiet = 0;
        for (var i = peak + dir; dir < 0 ? i >= bound : i <= bound; i += dir)
        {
            if (Math.Abs(_bp[(int)(i & _ringMask)]) >= thr)
            {
                edge = i;
                quiet = 0;
            }
            else if (++quiet >= gap)
            {
                break;
            }
        }

        return edge;
    }
}
