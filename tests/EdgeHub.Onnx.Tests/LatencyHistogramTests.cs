namespace EdgeHub.Onnx.Tests;

public sealed class LatencyHistogramTests
{
    [Fact]
    public void Percentiles_AreWithinBucketPrecision()
    {
        var histogram = new LatencyHistogram();
        for (var us = 1; us <= 1000; us++)
        {
            histogram.Record(TimeSpan.FromMicroseconds(us));
        }
        Assert.Equal(1000, histogram.Count);
        AssertClose(500, histogram.Percentile(50).TotalMicroseconds);
        AssertClose(990, histogram.Percentile(99).TotalMicroseconds);
        AssertClose(1000, histogram.Percentile(100).TotalMicroseconds);
        AssertClose(500.5, histogram.Mean.TotalMicroseconds);
        Assert.Equal(1000, histogram.Max.TotalMicroseconds);
    }

    [Fact]
    public void EmptyAndReset_ReturnZero()
    {
        var histogram = new LatencyHistogram();
        Assert.Equal(TimeSpan.Zero, histogram.Percentile(99));
        histogram.Record(TimeSpan.FromSeconds(3));
        histogram.Reset();
        Assert.Equal(0, histogram.Count);
        Assert.Equal(TimeSpan.Zero, histogram.Max);
    }

    [Fact]
    public void ConcurrentRecording_CountsEverySample()
    {
        var histogram = new LatencyHistogram();
        Parallel.For(0, 4, _ =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                histogram.RecordTicks(i);
            }
        });
        Assert.Equal(40_000, histogram.Count);
    }

    private static void AssertClose(double expected, double actual) =>
        Assert.True(Math.Abs(actual - expected) <= expected * 0.0625 + 0.1, $"expected ≈{expected}, got {actual}");
}
