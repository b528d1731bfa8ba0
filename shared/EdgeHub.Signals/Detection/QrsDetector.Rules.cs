namespace EdgeHub.Signals;

public sealed partial class QrsDetector
{
    // Tuned on the MIT-BIH records at 125–1000 Hz (see the report in issue 5); every value is in seconds or Hz, never samples.
    private const double HighPassHz = 5;
    private const double LowPassHz = 20;
    private const double DecisionDelaySeconds = 0.250; // decide 250 ms after the estimated R peak: 50 ms left to refine it
    private const double LearningSeconds = 2.0;
    private const double ThresholdFraction = 0.3125;   // Hamilton & Tompkins 1986: best over MIT-BIH with median estimators
    private const double SearchBackRr = 1.5;
    private const double SearchBackFactor = 0.5;
    private const double TWaveSlope = 0.5;             // Pan & Tompkins: a wave within 360 ms with under half the slope is a T wave
    private const double SupersedeSlope = 1.3;         // the rising wave is at least 30 % steeper …
    private const double SupersedeFlat = 0.9;          // … and the candidate flatter than the typical QRS (MIT-BIH 108)
    private const int History = 8;
    private const double LostSeconds = 3.0;

    private readonly int _filterDelay, _derivSpan, _mwiLength, _decisionWait, _refractory, _tWaveWindow, _peakTimeout, _learning;
    private readonly int _ringLength, _ringMask;
    private readonly float[] _bp, _slope, _raw, _mwiRing;
    // Held inline (no array objects): a detector per device, thousands of devices per edge.
    private HistoryValues _qrsPeaks, _qrsSlopes, _noisePeaks, _rr;
    private Biquad _hp, _lp1, _lp2;
    private long _n;
    private float _lastRaw;
    private int _mwiIndex;
    private double _mwiSum;

    // Peak finder state on the integrated signal.
    private double _peakMax;
    private long _peakAt;
    private bool _rising;

    // Candidate waiting for its decision; the last decided peak (any class) for the "larger neighbour within 200 ms" rule.
    private bool _hasCandidate;
    private double _candHeight;
    private long _candAt, _candR;
    private double _lastPeakHeight;
    private long _lastPeakAt;

    private int _qrsIndex, _noiseIndex, _rrIndex, _rrCount;
    private long _lastQrsAt, _lastBeatIndex;
    private double _lastQrsSlope, _learnMax;
    private bool _learned;

    /// <summary>Forgets all signal history (as after construction); sample counting restarts at 0.</summary>
    public void Reset()
    {
        _hp.Clear();
        _lp1.Clear();
        _lp2.Clear();
        Array.Clear(_bp);
        Array.Clear(_slope);
        Array.Clear(_raw);
        Array.Clear(_mwiRing);
        _qrsPeaks = default;
        _qrsSlopes = default;
        _noisePeaks = default;
        _rr = default;
        _n = 0;
        _lastRaw = 0;
        _mwiIndex = 0;
        _mwiSum = 0;
        _peakMax = 0;
        _peakAt = 0;
        _rising = false;
        _hasCandidate = false;
        _lastPeakHeight = 0;
        _lastPeakAt = long.MinValue / 2;
        _qrsIndex = _noiseIndex = _rrIndex = _rrCount = 0;
        _lastQrsAt = long.MinValue / 2;
        _lastBeatIndex = -1;
        _lastQrsSlope = 0;
        _learnMax = 0;
        _learned = false;
    }

    /// <summary>Peak picking on the integrated signal: a maximum is confirmed once the signal falls to half of it or 95 ms pass.</summary>
    private void FindPeak(long n, double mwi)
    {
        if (mwi > _peakMax)
        {
            _peakMax = mwi;
            _peakAt = n;
            _rising = true;
            return;
        }

        if (!_rising)
        {
            // Falling or flat: follow the signal down so the next rise starts a new peak however small it is.
            _peakMax = mwi;
            _peakAt = n;
            return;
        }

        if (mwi >= _peakMax * 0.5 && n - _peakAt < _peakTimeout)
        {
            return;
        }

        OnPeak(_peakMax, _peakAt);
        _peakMax = mwi;
        _peakAt = n;
        _rising = false;
    }

    private void OnPeak(double height, long at)
    {
        if (!_learned)
        {
            _learnMax = Math.Max(_learnMax, height);
            return;
        }

        if (_hasCandidate)
        {
            // Of two peaks less than 200 ms apart only the larger can be a QRS complex. (A pending candidate is always
            // decided within 200 ms of its peak, see Decide, so a later peak never meets an undecided one.)
            if (height > _candHeight)
            {
                _candHeight = height;
                _candAt = at;
                _candR = EstimateR(at);
            }

            return;
        }

        if (at - _lastPeakAt < _refractory && height <= _lastPeakHeight)
        {
            return; // a smaller peak just after a larger one: the tail of the same wave
        }

        _hasCandidate = true;
        _candHeight = height;
        _candAt = at;
        _candR = EstimateR(at);
    }

    private bool Decide(long n, out Beat beat)
    {
        beat = default;
        if (!_learned)
        {
            if (n + 1 >= _learning)
            {
                // Seed the QRS peak history with the largest peak seen while learning; the noise history starts at zero.
                ((Span<double>)_qrsPeaks).Fill(_learnMax);
                _learned = _learnMax > 0;
                _learnMax = 0;
            }

            return false;
        }

        // Decide as late as the delay promise allows: the more of the following signal is seen, the fewer P waves and
        // T waves pass for QRS complexes.
        if (!_hasCandidate || n < Math.Min(_candR + _decisionWait, _candAt + _refractory - 1))
        {
            return false;
        }

        if (Superseded(n))
        {
            return false;
        }

        return Classify() && MakeBeat(n, out beat);
    }

    /// <summary>
    /// A flat candidate (a P wave before a long PR interval, typically) whose decision falls while a larger and much steeper
    /// wave is still rising is dropped as noise: the rising wave is the QRS complex and becomes the next candidate.
    /// </summary>
    private bool Superseded(long n)
    {
        if (!_rising || _peakMax <= _candHeight)
        {
            return false;
        }

        var candSlope = MaxSlope(_candAt - _mwiLength, _candAt);
        if (candSlope >= SupersedeFlat * Median(_qrsSlopes) || MaxSlope(_candAt + 1, n) < SupersedeSlope * candSlope)
        {
            return false;
        }

        _hasCandidate = false;
        _lastPeakAt = _candAt;
        _lastPeakHeight = _candHeight;
        _noisePeaks[_noiseIndex] = _candHeight;
        _noiseIndex = (_noiseIndex + 1) % History;
        return true;
    }

    /// <summary>Classifies the pending candidate as QRS (true) or noise, updating the histories.</summary>
    private bool Classify()
    {
        _hasCandidate = false;
        var at = _candAt;
        var height = _candHeight;
        _lastPeakAt = at;
        _lastPeakHeight = height;

        var qrsLevel = Median(_qrsPeaks);
        var noiseLevel = Median(_noisePeaks);
        var threshold = noiseLevel + ThresholdFraction * (qrsLevel - noiseLevel);
        var sinceQrs = at - _lastQrsAt;
        var slope = MaxSlope(at - _mwiLength, at);
        bool isQrs;
        if (sinceQrs < _refractory)
        {
            isQrs = false;
        }
        else if (height > threshold)
        {
            isQrs = !(sinceQrs < _tWaveWindow && slope < TWaveSlope * _lastQrsSlope);
        }
        else
        {
            // Causal search-back: once 1.5 mean RR intervals (or 1.5 s with no RR history yet) have passed without a beat,
            // a peak above half the threshold is accepted.
            var expected = _rrCount > 0 ? SearchBackRr * RrMean() : 1.5 * SampleRate;
            isQrs = sinceQrs > expected && sinceQrs > _tWaveWindow && height > SearchBackFactor * threshold;
        }

        if (!isQrs)
        {
            if (sinceQrs > LostSeconds * SampleRate)
            {
                // Nothing detected for seconds: the QRS history is stale (amplitude dropped, or it was seeded by an artefact).
                for (var i = 0; i < History; i++)
                {
                    _qrsPeaks[i] *= 0.5;
                }
            }

            _noisePeaks[_noiseIndex] = height;
            _noiseIndex = (_noiseIndex + 1) % History;
            return false;
        }

        _qrsPeaks[_qrsIndex] = height;
        _lastQrsSlope = slope;
        _qrsSlopes[_qrsIndex] = slope;
        _qrsIndex = (_qrsIndex + 1) % History;
        _lastQrsAt = at;
        return true;
    }

    private static double Median(HistoryValues values)
    {
        // values is a copy: sorting it leaves the history in arrival order.
        Span<double> sorted = values;
        sorted.Sort();
        return (sorted[History / 2 - 1] + sorted[History / 2]) / 2;
    }

    private double RrMean()
    {
        if (_rrCount == 0)
        {
            return 0;
        }

        double s = 0;
        for (var i = 0; i < _rrCount; i++)
        {
            s += _rr[i];
        }

        return s / _rrCount;
    }

    private double MaxSlope(long from, long to)
    {
        double max = 0;
        for (var i = Math.Max(from, _n - _ringLength + 1); i <= to; i++)
        {
            max = Math.Max(max, _slope[(int)(i & _ringMask)]);
        }

        return max;
    }

    /// <summary>The last <see cref="History"/> values of one quantity, stored inside the detector.</summary>
    [System.Runtime.CompilerServices.InlineArray(History)]
    private struct HistoryValues
    {
        private double _element;
    }
}
