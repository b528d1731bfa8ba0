
namespace EdgeHub.Simulator.Tests;

/// <summary>Rendering and measuring helpers shared by the ECG tests.</summary>
internal static class EcgTestKit
{
    public static (float[] Mv, List<BeatMark> Beats) Render(SyntheticEcg ecg, double seconds, EcgCondition condition)
    {
        var mv = new float[(int)(seconds * ecg.SampleRate)];
        var beats = new List<BeatMark>();
        // Render in 1 s frames, as the fleet does, so frame boundaries are exercised.
        for (var i = 0; i < mv.Length; i += ecg.SampleRate)
        {
            ecg.Render(mv.AsSpan(i, Math.Min(ecg.SampleRate, mv.Length - i)), condition, beats);
        }

        return (mv, beats);
    }

    /// <summary>Intervals (s) between consecutive beats.</summary>
    public static double[] Rr(IReadOnlyList<BeatMark> beats, int rate)
    {
        var rr = new double[Math.Max(0, beats.Count - 1)];
        for (var i = 1; i < beats.Count; i++)
        {
            rr[i - 1] = (beats[i].SampleIndex - beats[i - 1].SampleIndex) / rate;
        }

        return rr;
    }

    /// <summary>
    /// Greedy one-to-one matching within ±<paramref name="window"/> samples over the whole record; counts only beats inside
    /// [<paramref name="from"/>, <paramref name="to"/>), so a beat just outside cannot become a false positive or negative.
    /// </summary>
    public static (int Tp, int Fp, int Fn) Match(IReadOnlyList<double> reference, IReadOnlyList<long> detected, double window,
        double from = double.NegativeInfinity, double to = double.PositiveInfinity)
    {
        int i = 0, j = 0, tp = 0, fp = 0, fn = 0;
        bool In(double x) => x >= from && x < to;
        while (i < reference.Count || j < detected.Count)
        {
            var d = i < reference.Count && j < detected.Count ? detected[j] - reference[i] : double.NaN;
            if (Math.Abs(d) <= window)
            {
                tp += In(reference[i]) ? 1 : 0;
                (i, j) = (i + 1, j + 1);
            }
            else if (i >= reference.Count || d < 0)
            {
                fp += In(detected[j]) ? 1 : 0;
                j++;
            }
            else
            {
                fn += In(reference[i]) ? 1 : 0;
                i++;
            }
        }

        return (tp, fp, fn);
    }

    public static double Mean(ReadOnlySpan<double> v)
    {
        double s = 0;
        foreach (var x in v)
        {
            s += x;
        }

        return v.Length == 0 ? 0 : s / v.Length;
    }

    public static double Std(ReadOnlySpan<double> v)
    {
        var m = Mean(v);
        double s = 0;
        foreach (var x in v)
        {
            s += (x - m) * (x - m);
        }

        return v.Length < 2 ? 0 : Math.Sqrt(s / (v.Length - 1));
    }

    /// <summary>Root mean square of successive RR differences divided by the mean RR (an AF irregularity index).</summary>
    public static double NormalisedRmssd(double[] rr)
    {
        double s = 0;
        for (var i = 1; i < rr.Length; i++)
        {
            s += (rr[i] - rr[i - 1]) * (rr[i] - rr[i - 1]);
        }

        return Math.Sqrt(s / (rr.Length - 1)) / Mean(rr);
    }
}
