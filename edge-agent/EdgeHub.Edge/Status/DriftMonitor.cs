using EdgeHub.Contracts;

namespace EdgeHub.Edge.Status;

/// <summary>
/// Feature drift as the population stability index, PSI = Σ (a − e) · ln(a / e) over 10 bins per feature, of recent windows
/// (a) against a reference (e). The reference is the first <see cref="ReferenceWindows"/> windows seen after the serving model
/// changed (the population the model was accepted on at this edge); bins are that reference's deciles. Reported: the largest PSI over features (≥ 0.25 is the usual "significant shift" threshold).
/// Fed from the inference thread; read from the status loop.
/// </summary>
public sealed class DriftMonitor
{
    /// <summary>Windows that form the reference.</summary>
    public const int ReferenceWindows = 2000;

    private const int Bins = 10;
    private const int Sample = 4; // one window in four is enough for a histogram and keeps the hot path cheap
    private readonly Lock _gate = new();
    private readonly float[][] _referenceValues = new float[FeatureSchema.Count][];
    private readonly float[,] _edges = new float[FeatureSchema.Count, Bins - 1];
    private readonly long[,] _current = new long[FeatureSchema.Count, Bins];
    private readonly double[,] _expected = new double[FeatureSchema.Count, Bins];
    private int _referenceCount;
    private bool _hasReference;
    private long _currentCount;
    private long _seen;

    /// <summary>Creates the monitor.</summary>
    public DriftMonitor()
    {
        for (var f = 0; f < FeatureSchema.Count; f++)
        {
            _referenceValues[f] = new float[ReferenceWindows];
        }
    }

    /// <summary>Starts a new reference (the serving model changed).</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _referenceCount = 0;
            _hasReference = false;
            Array.Clear(_current);
            _currentCount = 0;
        }
    }

    /// <summary>Adds one window's features.</summary>
    public void Add(ReadOnlySpan<float> features)
    {
        if (++_seen % Sample != 0)
        {
            return;
        }

        lock (_gate)
        {
            if (!_hasReference)
            {
                for (var f = 0; f < FeatureSchema.Count; f++)
                {
                    _referenceValues[f][_referenceCount] = features[f];
                }

                if (++_referenceCount == ReferenceWindows)
                {
                    BuildEdges();
                }

                return;
            }

            for (var f = 0; f < FeatureSchema.Count; f++)
            {
                _current[f, Bin(f, features[f])]++;
            }

            _currentCount++;
        }
    }

    /// <summary>The largest PSI over features since the last call (then the current histogram restarts), or null while building the reference or with too few windows.</summary>
    public double? TakeMaxPsi(int minWindows = 200)
    {
        lock (_gate)
        {
            if (!_hasReference || _currentCount < minWindows)
            {
                return null;
            }

            var max = 0.0;
            for (var f = 0; f < FeatureSchema.Count; f++)
            {
                var psi = 0.0;
                for (var b = 0; b < Bins; b++)
                {
                    var a = Math.Max(_current[f, b] / (double)_currentCount, 1e-4);
                    var e = Math.Max(_expected[f, b], 1e-4);
                    psi += (a - e) * Math.Log(a / e);
                }

                max = Math.Max(max, psi);
            }

            Array.Clear(_current);
            _currentCount = 0;
            return max;
        }
    }

    private int Bin(int feature, float value)
    {
        var b = 0;
        while (b < Bins - 1 && value > _edges[feature, b])
        {
            b++;
        }

        return b;
    }

    private void BuildEdges()
    {
        for (var f = 0; f < FeatureSchema.Count; f++)
        {
            var values = _referenceValues[f];
            Array.Sort(values);
            for (var b = 1; b < Bins; b++)
            {
                _edges[f, b - 1] = values[b * ReferenceWindows / Bins];
            }

            // Ties (a feature that is often exactly 0) make deciles collapse: take the reference's real share per bin.
            for (var b = 0; b < Bins; b++)
            {
                _expected[f, b] = 0;
            }

            foreach (var v in values)
            {
                _expected[f, Bin(f, v)] += 1.0 / ReferenceWindows;
            }
        }

        _hasReference = true;
    }
}
