using System.Text;

namespace EdgeHub.Simulator.Tests;

public sealed class FleetPartsTests
{
    [Fact]
    public void LatencyHistogram_PercentilesWithinThreePercent()
    {
        var h = new LatencyHistogram();
        for (var v = 1; v <= 100_000; v++)
        {
            h.Record(v);
        }

        Assert.Equal(100_000, h.Count);
        Assert.Equal(100_000, h.Max);
        Assert.InRange(h.Percentile(50), 50_000, 51_600);
        Assert.InRange(h.Percentile(99), 99_000, 100_000);
        Assert.InRange(h.Percentile(1), 1_000, 1_032);
        Assert.Equal(50_000.5, h.Mean, 1);
    }

    [Fact]
    public void LatencyHistogram_PercentileSince_CoversOnlyTheInterval()
    {
        var h = new LatencyHistogram();
        for (var i = 0; i < 1000; i++)
        {
            h.Record(10_000);
        }

        var mark = h.Snapshot();
        for (var i = 0; i < 100; i++)
        {
            h.Record(500);
        }

        Assert.InRange(h.PercentileSince(mark, 99), 490, 515);
        Assert.Equal(0, h.PercentileSince(mark, 50));   // nothing new since the last call
    }

    [Fact]
    public void LatencyHistogram_ConcurrentRecording_LosesNothing()
    {
        var h = new LatencyHistogram();
        Parallel.For(0, 8, _ =>
        {
            for (var i = 0; i < 100_000; i++)
            {
                h.Record(i % 5000);
            }
        });
        Assert.Equal(800_000, h.Count);
    }

    [Theory]
    [InlineData("""{"seq":42,"state":"ok","heartRate":71.5}""", true, 42u, false)]
    [InlineData("""{"heartRate":71.5,"rhythm":"af","nested":{"seq":1},"seq":7,"state":"error","error":"bad"}""", true, 7u, true)]
    [InlineData("""{"state":"ok"}""", false, 0u, false)]
    [InlineData("""{"seq":-1,"state":"ok"}""", false, 0u, false)]
    [InlineData("""not json""", false, 0u, false)]
    [InlineData("""[1,2]""", false, 0u, false)]
    public void FeedbackReader_ReadsSeqAndState(string json, bool ok, uint seq, bool error)
    {
        Assert.Equal(ok, FeedbackReader.TryRead(Encoding.UTF8.GetBytes(json), out var s, out var e));
        if (ok)
        {
            Assert.Equal(seq, s);
            Assert.Equal(error, e);
        }
    }

    [Theory]
    [InlineData(0, "devices must be 1-1,000,000")]
    [InlineData(-5, "devices must be 1-1,000,000")]
    public void FleetOptions_BadDevices_Throws(int devices, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => new FleetOptions { Devices = devices }.Validate());
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FleetOptions_BadRateAndFaults_Throw()
    {
        Assert.Throws<ArgumentException>(() => new FleetOptions { FramesPerSecond = 0 }.Validate());
        Assert.Throws<ArgumentException>(() => new FleetOptions { FramesPerSecond = 0.1 }.Validate());   // 2,500-sample frames
        Assert.Throws<ArgumentException>(() => new FleetOptions { Faults = new FaultOptions { MalformedRate = 2 } }.Validate());
        Assert.Throws<ArgumentException>(() => new FleetOptions { Faults = new FaultOptions { ClockSkewSeconds = -1 } }.Validate());
    }
}
