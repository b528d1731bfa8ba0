namespace EdgeHub.Signals;

/// <summary>Beat-by-beat comparison counts for one record (or pooled over several).</summary>
public readonly record struct BeatScore(int TruePositives, int FalsePositives, int FalseNegatives)
{
    /// <summary>Sensitivity TP / (TP + FN) in [0, 1]; 1 when there were no reference beats.</summary>
    public double Sensitivity => TruePositives + FalseNegatives == 0 ? 1 : (double)TruePositives / (TruePositives + FalseNegatives);

    /// <summary>Positive predictivity TP / (TP + FP) in [0, 1]; 1 when nothing was detected.</summary>
    public double PositivePredictivity => TruePositives + FalsePositives == 0 ? 1 : (double)TruePositives / (TruePositives + FalsePositives);

    /// <summary>Sum of two scores (pooling).</summary>
    public static BeatScore operator +(BeatScore a, BeatScore b) =>
        new(a.TruePositives + b.TruePositives, a.FalsePositives + b.FalsePositives, a.FalseNegatives + b.FalseNegatives);

    /// <summary>Named alternative for <c>+</c>.</summary>
    public static BeatScore Add(BeatScore a, BeatScore b) => a + b;
}

/// <summary>
/// QRS detection scoring as WFDB <c>bxb</c> does it (ANSI/AAMI EC57): reference and test beats are merged in time order; a pair
/// matches when within the match window (150 ms) and no closer partner follows; only beats at or after the start time count;
/// test beats inside reference ventricular flutter/fibrillation episodes ('[' … ']') are not counted.
/// </summary>
public static class BeatScoring
{
    /// <summary>EC57 match window.</summary>
    public const double DefaultMatchWindowSeconds = 0.150;

    /// <summary>EC57 start of scoring: the first five minutes are a learning period.</summary>
    public const double DefaultStartSeconds = 300;

    /// <summary>Scores test beat positions against a record's reference annotations.</summary>
    /// <param name="reference">All reference annotations (beats and non-beats, in file order).</param>
    /// <param name="testBeats">Detected beat sample indices, ascending.</param>
    /// <param name="sampleRate">Sampling frequency of both.</param>
    /// <param name="startSeconds">Beats before this time are ignored.</param>
    /// <param name="matchWindowSeconds">Largest distance of a match.</param>
    public static BeatScore Score(
        IReadOnlyList<WfdbAnnotation> reference,
        ReadOnlySpan<long> testBeats,
        double sampleRate,
        double startSeconds = DefaultStartSeconds,
        double matchWindowSeconds = DefaultMatchWindowSeconds)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var start = (long)Math.Round(startSeconds * sampleRate);
        var window = (long)Math.Round(matchWindowSeconds * sampleRate);

        var refBeats = new List<long>(reference.Count);
        var vf = new List<(long On, long Off)>();
        long vfOn = -1;
        foreach (var a in reference)
        {
            if (a.Code == AnnotationCodes.VfOn)
            {
                vfOn = a.Sample;
            }
            else if (a.Code == AnnotationCodes.VfOff && vfOn >= 0)
            {
                vf.Add((vfOn, a.Sample));
                vfOn = -1;
            }
            else if (vfOn < 0 && a.IsBeat)
            {
                refBeats.Add(a.Sample); // bxb reads and ignores every annotation between VFON and VFOFF
            }
        }

        if (vfOn >= 0)
        {
            vf.Add((vfOn, long.MaxValue));
        }

        int tp = 0, fp = 0, fn = 0;
        int r = 0, t = 0;
        var vfIndex = 0;
        while (r < refBeats.Count || t < testBeats.Length)
        {
            var T = r < refBeats.Count ? refBeats[r] : long.MaxValue;
            var tt = t < testBeats.Length ? testBeats[t] : long.MaxValue;
            if (tt < T)
            {
                var tNext = t + 1 < testBeats.Length ? testBeats[t + 1] : long.MaxValue;
                if (T != long.MaxValue && T - tt <= window && T - tt < Distance(T, tNext))
                {
                    Count(T, ref tp);
                    r++;
                    t++;
                }
                else
                {
                    // Unmatched test beat: a false positive unless it falls in reference-marked VF.
                    while (vfIndex < vf.Count && vf[vfIndex].Off < tt)
                    {
                        vfIndex++;
                    }

                    var inVf = vfIndex < vf.Count && vf[vfIndex].On <= tt && tt <= vf[vfIndex].Off;
                    if (!inVf)
                    {
                        Count(tt, ref fp);
                    }

                    t++;
                }
            }
            else
            {
                var rNext = r + 1 < refBeats.Count ? refBeats[r + 1] : long.MaxValue;
                if (tt != long.MaxValue && tt - T <= window && tt - T < Distance(tt, rNext))
                {
                    Count(T, ref tp);
                    r++;
                    t++;
                }
                else
                {
                    Count(T, ref fn);
                    r++;
                }
            }
        }

        return new BeatScore(tp, fp, fn);

        void Count(long at, ref int counter)
        {
            if (at >= start)
            {
                counter++;
            }
        }
    }

    private static long Distance(long a, long b) => b == long.MaxValue ? long.MaxValue : Math.Abs(a - b);
}
