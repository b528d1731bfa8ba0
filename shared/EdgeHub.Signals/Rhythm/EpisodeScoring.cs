namespace EdgeHub.Signals;

/// <summary>
/// Episode-by-episode counts of one rhythm (ANSI/AAMI EC38/EC57, WFDB <c>epicmp</c>): a reference episode is detected when a
/// test episode overlaps it; a test episode is a true detection when it overlaps a reference episode. Duration statistics
/// weigh by time: the overlap over the reference's (Se) or the test's (+P) total duration. Counts add over records (gross).
/// </summary>
public readonly record struct EpisodeScore(
    int ReferenceEpisodes,
    int DetectedReference,
    int TestEpisodes,
    int TrueTest,
    double ReferenceSeconds,
    double TestSeconds,
    double OverlapSeconds)
{
    /// <summary>Episode sensitivity: detected reference episodes / reference episodes (NaN without reference episodes).</summary>
    public double Sensitivity => ReferenceEpisodes == 0 ? double.NaN : (double)DetectedReference / ReferenceEpisodes;

    /// <summary>Episode positive predictivity: test episodes overlapping a reference / test episodes (NaN without test episodes).</summary>
    public double PositivePredictivity => TestEpisodes == 0 ? double.NaN : (double)TrueTest / TestEpisodes;

    /// <summary>Duration sensitivity: overlap / reference duration.</summary>
    public double DurationSensitivity => ReferenceSeconds <= 0 ? double.NaN : OverlapSeconds / ReferenceSeconds;

    /// <summary>Duration positive predictivity: overlap / test duration.</summary>
    public double DurationPositivePredictivity => TestSeconds <= 0 ? double.NaN : OverlapSeconds / TestSeconds;

    /// <summary>Gross (pooled) counts of two scores.</summary>
    public static EpisodeScore operator +(EpisodeScore a, EpisodeScore b) => new(
        a.ReferenceEpisodes + b.ReferenceEpisodes,
        a.DetectedReference + b.DetectedReference,
        a.TestEpisodes + b.TestEpisodes,
        a.TrueTest + b.TrueTest,
        a.ReferenceSeconds + b.ReferenceSeconds,
        a.TestSeconds + b.TestSeconds,
        a.OverlapSeconds + b.OverlapSeconds);
}

/// <summary>Scores test episodes against reference episodes like <c>epicmp</c>.</summary>
public static class EpisodeScoring
{
    /// <summary>
    /// Seconds at the start of a record left out (epicmp's default <c>-f</c>: comparison begins 5 minutes in, the EC38/EC57
    /// learning period). Episodes are clipped to the scored span; one that lies wholly before it does not count.
    /// </summary>
    public const double DefaultStartSeconds = 300;

    /// <summary>
    /// Compares <paramref name="test"/> with <paramref name="reference"/> over <c>[fromSample, toSample)</c>. Both lists are
    /// sorted and merged first (touching or overlapping episodes are one), then clipped to the span.
    /// </summary>
    public static EpisodeScore Score(IReadOnlyList<RhythmEpisode> reference, IReadOnlyList<RhythmEpisode> test, long fromSample, long toSample, double sampleRate)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sampleRate);
        var r = Normalise(reference, fromSample, toSample);
        var t = Normalise(test, fromSample, toSample);
        long overlap = 0;
        var detected = 0;
        foreach (var e in r)
        {
            var covered = Overlap(e, t);
            overlap += covered.Samples;
            detected += covered.Any ? 1 : 0;
        }

        var trueTest = 0;
        foreach (var e in t)
        {
            trueTest += Overlap(e, r).Any ? 1 : 0;
        }

        return new EpisodeScore(r.Count, detected, t.Count, trueTest, Total(r) / sampleRate, Total(t) / sampleRate, overlap / sampleRate);
    }

    /// <summary>Sorted, merged and clipped copy of <paramref name="episodes"/>; empty episodes are dropped.</summary>
    public static List<RhythmEpisode> Normalise(IReadOnlyList<RhythmEpisode> episodes, long fromSample, long toSample)
    {
        ArgumentNullException.ThrowIfNull(episodes);
        var sorted = episodes.Select(e => new RhythmEpisode(Math.Max(e.Start, fromSample), Math.Min(e.End, toSample)))
            .Where(e => e.End > e.Start)
            .OrderBy(e => e.Start)
            .ToList();
        var merged = new List<RhythmEpisode>(sorted.Count);
        foreach (var e in sorted)
        {
            if (merged.Count > 0 && e.Start <= merged[^1].End)
            {
                merged[^1] = merged[^1] with { End = Math.Max(merged[^1].End, e.End) };
            }
            else
            {
                merged.Add(e);
            }
        }

        return merged;
    }

    private static (bool Any, long Samples) Overlap(RhythmEpisode e, List<RhythmEpisode> others)
    {
        var any = false;
        long samples = 0;
        foreach (var o in others)
        {
            var n = Math.Min(e.End, o.End) - Math.Max(e.Start, o.Start);
            if (n > 0)
            {
                any = true;
                samples += n;
            }
        }

        return (any, samples);
    }

    private static long Total(List<RhythmEpisode> episodes) => episodes.Sum(e => e.Length);
}
