namespace EdgeHub.Simulator;

/// <summary>
/// A validated, possibly repeating episode. Occurrence k starts at Start + k·RepeatEvery + jitter(device, k) where the
/// jitter is a hash of (seed, device, template, k), so the schedule is infinite, needs no storage, and every question
/// about it (what is active at t, when is the next change) has one exact answer the generator and the ground truth share.
/// </summary>
public sealed record EpisodeTemplate
{
    /// <summary>What happens.</summary>
    public required EpisodeKind Kind { get; init; }
    /// <summary>First start, seconds from the run start.</summary>
    public double Start { get; init; }
    /// <summary>Length in seconds.</summary>
    public double Duration { get; init; }
    /// <summary>Repeat period in seconds, 0 = once.</summary>
    public double RepeatEvery { get; init; }
    /// <summary>Per-device, per-occurrence start delay range in seconds.</summary>
    public double Jitter { get; init; }
    /// <summary>Rate in bpm (0 = default).</summary>
    public double Rate { get; init; }
    /// <summary>Sinus beats between PVCs (0 = random).</summary>
    public int PvcEvery { get; init; }
    /// <summary>Target SpO2 for desaturation (0 = 85 %).</summary>
    public double SpO2 { get; init; }

    /// <summary>Start and end (seconds from run start) of occurrence <paramref name="k"/> for device <paramref name="device"/>.</summary>
    public (double Start, double End) Occurrence(int seed, int device, int templateIndex, long k)
    {
        var start = Start + (k * RepeatEvery);
        if (Jitter > 0)
        {
            start += Jitter * Hash01(seed, device, templateIndex, k);
        }

        return (start, start + Duration);
    }

    /// <summary>Index of the last occurrence that starts at or before <paramref name="t"/> (−1 when none).</summary>
    public long LastOccurrenceAtOrBefore(int seed, int device, int templateIndex, double t)
    {
        if (t < Start)
        {
            return -1;
        }

        if (RepeatEvery <= 0)
        {
            return Occurrence(seed, device, templateIndex, 0).Start <= t ? 0 : -1;
        }

        var k = (long)Math.Floor((t - Start) / RepeatEvery);
        // Jitter can push occurrence k past t; validation keeps jitter < period, so k − 1 then starts before t.
        return Occurrence(seed, device, templateIndex, k).Start <= t ? k : k - 1;
    }

    private static double Hash01(int seed, int device, int templateIndex, long k)
    {
        var x = unchecked(((ulong)(uint)seed * 0x9E3779B97F4A7C15UL) ^ ((ulong)(uint)device * 0xC2B2AE3D27D4EB4FUL)
            ^ ((ulong)(uint)templateIndex << 40) ^ ((ulong)k * 0x165667B19E3779F9UL));
        x ^= x >> 33;
        x *= 0xFF51AFD7ED558CCDUL;
        x ^= x >> 33;
        x *= 0xC4CEB9FE1A85EC53UL;
        x ^= x >> 33;
        return (x >> 11) * (1.0 / (1UL << 53));
    }
}
