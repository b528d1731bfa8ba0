using System.Diagnostics;
using System.Numerics;

namespace EdgeHub.Onnx;

/// <summary>
/// A lock-free log-linear latency histogram (16 sub-buckets per power of two of nanoseconds, so ≤ 6.25 % bucket width):
/// one thread or many record, anyone reads percentiles at any time. Fixed size, no allocation per sample.
/// </summary>
public sealed class LatencyHistogram
{
    private const int SubBucketBits = 4;
    private const int SubBuckets = 1 << SubBucketBits;
    private const int Exponents = 64 - SubBucketBits;
    private readonly long[] _counts = new long[(Exponents + 1) * SubBuckets];
    private long _count;
    private long _sumNanoseconds;
    private long _maxNanoseconds;

    /// <summary>Samples recorded.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>Largest sample.</summary>
    public TimeSpan Max => FromNanoseconds(Interlocked.Read(ref _maxNanoseconds));

    /// <summary>Mean of all samples.</summary>
    public TimeSpan Mean => Count == 0 ? TimeSpan.Zero : FromNanoseconds(Interlocked.Read(ref _sumNanoseconds) / Count);

    /// <summary>Records a duration measured with <see cref="Stopwatch.GetTimestamp"/> ticks.</summary>
    public void RecordTicks(long stopwatchTicks) =>
        RecordNanoseconds(stopwatchTicks <= 0 ? 0 : (long)(stopwatchTicks * (1e9 / Stopwatch.Frequency)));

    /// <summary>Records a duration.</summary>
    public void Record(TimeSpan duration) => RecordNanoseconds(duration.Ticks <= 0 ? 0 : duration.Ticks * 100);

    /// <summary>The value at or below which <paramref name="percentile"/> % of samples fall (upper edge of its bucket).</summary>
    public TimeSpan Percentile(double percentile)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(percentile, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(percentile, 100);
        var total = Count;
        if (total == 0)
        {
            return TimeSpan.Zero;
        }
        var rank = Math.Max(1, (long)Math.Ceiling(percentile / 100 * total));
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += Interlocked.Read(ref _counts[i]);
            if (seen >= rank)
            {
                return FromNanoseconds(Math.Min(UpperEdge(i), Interlocked.Read(ref _maxNanoseconds)));
            }
        }
        return Max;
    }

    /// <summary>Forgets every sample (not atomic with concurrent recording; for between benchmark phases).</summary>
    public void Reset()
    {
        Array.Clear(_counts);
        Interlocked.Exchange(ref _count, 0);
        Interlocked.Exchange(ref _sumNanoseconds, 0);
        Interlocked.Exchange(ref _maxNanoseconds, 0);
    }

    private void RecordNanoseconds(long ns)
    {
        Interlocked.Increment(ref _counts[Index(ns)]);
        Interlocked.Increment(ref _count);
        Interlocked.Add(ref _sumNanoseconds, ns);
        var max = Interlocked.Read(ref _maxNanoseconds);
        while (ns > max)
        {
            var seen = Interlocked.CompareExchange(ref _maxNanoseconds, ns, max);
            if (seen == max)
            {
                break;
            }
            max = seen;
        }
    }

    /// <summary>
    /// Row 0 holds 0..15 ns exactly; row r ≥ 1 holds values whose top five bits are 1xxxx after shifting right by r - 1,
    /// the four x bits choosing the column.
    /// </summary>
    private static int Index(long ns)
    {
        if (ns < SubBuckets)
        {
            return (int)ns;
        }
        var shift = BitOperations.Log2((ulong)ns) - SubBucketBits;
        var sub = (int)(ns >> shift) - SubBuckets;
        return ((shift + 1) * SubBuckets) + sub;
    }

    private static long UpperEdge(int index)
    {
        var row = index / SubBuckets;
        if (row == 0)
        {
            return index;
        }
        var sub = index % SubBuckets;
        return ((long)(SubBuckets + sub + 1) << (row - 1)) - 1;
    }

    private static TimeSpan FromNanoseconds(long ns) => TimeSpan.FromTicks(ns / 100);
}
