namespace EdgeHub.Simulator;

/// <summary>
/// A lock-free log-linear latency histogram (HdrHistogram's layout, simplified): values in microseconds, 32 sub-buckets
/// per power of two, so any percentile is exact to within 1/32 (≈3 %) from 1 µs to over an hour. Recording is one
/// Interlocked.Increment; many threads may record while another reads.
/// </summary>
public sealed class LatencyHistogram
{
    private const int SubBits = 5;
    private const int Sub = 1 << SubBits;
    private const int Magnitudes = 38;
    private readonly long[] _counts = new long[(Magnitudes + 1) * Sub];
    private long _count, _sum, _max;

    /// <summary>Values recorded.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>Largest value (µs).</summary>
    public long Max => Interlocked.Read(ref _max);

    /// <summary>Mean (µs), 0 when empty.</summary>
    public double Mean => Count == 0 ? 0 : (double)Interlocked.Read(ref _sum) / Count;

    /// <summary>Records one latency in microseconds (negative values count as 0).</summary>
    public void Record(long micros)
    {
        micros = Math.Max(0, micros);
        Interlocked.Increment(ref _counts[Index(micros)]);
        Interlocked.Increment(ref _count);
        Interlocked.Add(ref _sum, micros);
        var max = Interlocked.Read(ref _max);
        while (micros > max)
        {
            var seen = Interlocked.CompareExchange(ref _max, micros, max);
            if (seen == max)
            {
                break;
            }

            max = seen;
        }
    }

    /// <summary>The value (µs, bucket upper bound) at or below which <paramref name="percentile"/> % of values fall; 0 when empty.</summary>
    public long Percentile(double percentile)
    {
        var total = Count;
        if (total == 0)
        {
            return 0;
        }

        var rank = (long)Math.Ceiling(Math.Clamp(percentile, 0, 100) / 100 * total);
        rank = Math.Max(rank, 1);
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += Interlocked.Read(ref _counts[i]);
            if (seen >= rank)
            {
                return Math.Min(UpperBound(i), Max);
            }
        }

        return Max;
    }

    /// <summary>A copy of the bucket counts, to compute percentiles over an interval with <see cref="PercentileSince"/>.</summary>
    public long[] Snapshot()
    {
        var copy = new long[_counts.Length];
        for (var i = 0; i < copy.Length; i++)
        {
            copy[i] = Interlocked.Read(ref _counts[i]);
        }

        return copy;
    }

    /// <summary>
    /// The percentile (µs) of the values recorded since <paramref name="earlier"/> (a <see cref="Snapshot"/>); 0 when none.
    /// Replaces <paramref name="earlier"/> with the current counts so the next call covers the next interval.
    /// </summary>
    public long PercentileSince(long[] earlier, double percentile)
    {
        ArgumentNullException.ThrowIfNull(earlier);
        var now = Snapshot();
        long total = 0;
        for (var i = 0; i < now.Length; i++)
        {
            total += now[i] - earlier[i];
        }

        long result = 0;
        if (total > 0)
        {
            var rank = Math.Max(1, (long)Math.Ceiling(Math.Clamp(percentile, 0, 100) / 100 * total));
            long seen = 0;
            for (var i = 0; i < now.Length; i++)
            {
                seen += now[i] - earlier[i];
                if (seen >= rank)
                {
                    result = UpperBound(i);
                    break;
                }
            }
        }

        now.CopyTo(earlier, 0);
        return result;
    }

    /// <summary>Clears every count.</summary>
    public void Reset()
    {
        Array.Clear(_counts);
        Interlocked.Exchange(ref _count, 0);
        Interlocked.Exchange(ref _sum, 0);
        Interlocked.Exchange(ref _max, 0);
    }

    private static int Index(long v)
    {
        if (v < Sub)
        {
            return (int)v;
        }

        var magnitude = 63 - (int)long.LeadingZeroCount(v) - SubBits + 1;    // ≥ 1
        magnitude = Math.Min(magnitude, Magnitudes);
        var sub = (int)(v >> (int)(magnitude - 1)) & (Sub - 1);
        return (magnitude * Sub) + sub;
    }

    private static long UpperBound(int index)
    {
        var magnitude = index / Sub;
        var sub = index % Sub;
        return magnitude == 0 ? sub : (((long)Sub + sub + 1) << (magnitude - 1)) - 1;
    }
}
