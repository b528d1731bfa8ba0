using EdgeHub.Contracts;
using EdgeHub.Datasets;
using EdgeHub.Faults.Tests.Rig;
using EdgeHub.Testing;
using Xunit.Abstractions;

namespace EdgeHub.Faults.Tests;

/// <summary>
/// Device clock skew against the edge's Edge:MaxClockSkewSeconds: a monitor whose clock runs ahead of the edge beyond the
/// limit is refused frame by frame with the reason on its feedback topic (and taken again once its clock is fixed); a
/// monitor far behind (late, buffered data) is accepted on its own time line; the edge never stops; the ward's other
/// devices are unaffected and every window still lands in the dataset exactly once.
/// </summary>
[Collection(FaultCollection.Name)]
public class ClockSkewTests(ITestOutputHelper output)
{
    private const double MaxSkewSeconds = 120;

    [Fact]
    public async Task SkewedDeviceClocks_AheadRefusedWithReasonBehindAccepted_NoCrashAndExactlyOnce()
    {
        await using var rig = FaultRig.Create(new RigSettings { MaxClockSkewSeconds = MaxSkewSeconds }, output, "skew");
        var run = new FaultRun(rig);
        await using var ward = await run.StartWardAsync(devices: 8, firstAcks: 0);
        await using var ahead = await SkewedDevice.ConnectAsync("skew-ahead", rig.DeviceBrokerPort, run.Seed + 1);
        await using var behind = await SkewedDevice.ConnectAsync("skew-behind", rig.DeviceBrokerPort, run.Seed + 2);

        var skewAhead = TimeSpan.FromSeconds(MaxSkewSeconds + 60 + run.Random.Next(0, 3600));
        rig.Log($"device clock {skewAhead.TotalSeconds:F0} s ahead (limit {MaxSkewSeconds} s), another 1 h behind");
        ahead.SetClock(skewAhead);
        behind.SetClock(TimeSpan.FromHours(-1));
        var badBefore = await rig.EdgeMetricAsync("edgehub_edge_frames_bad_total");
        await Task.WhenAll(ahead.SendAsync(5), behind.SendAsync(20));

        await Eventually.TrueAsync(() => ahead.Feedback.Count >= 5, TimeSpan.FromSeconds(30), "the edge answers each refused frame on the device's feedback topic");
        Assert.All(ahead.Feedback, f =>
        {
            Assert.Contains("ahead of the edge clock", f, StringComparison.Ordinal);
            Assert.Contains("fix the device clock", f, StringComparison.Ordinal);
        });
        await run.WaitEdgeMetricAsync("edgehub_edge_frames_bad_total", badBefore + 5, TimeSpan.FromSeconds(30), "the refused frames are counted");

        // The clock is fixed: the same device (same sequence line) is accepted from now on.
        ahead.SetClock(TimeSpan.Zero);
        await ahead.SendAsync(15);
        await run.WaitEdgeMetricAsync("edgehub_edge_windows_total", 60, TimeSpan.FromSeconds(60), "the ward's other devices keep producing windows");
        await run.WaitEdgeMetricAsync("edgehub_edge_deltas_acked_total", 3, TimeSpan.FromSeconds(60), "deltas keep flowing");
        await run.FinishAsync(ward, everyFrameKept: true);

        // In the dataset: the late device's windows on its own (past) time line, nothing stamped beyond the skew limit.
        var rows = new DatasetStore(Path.Combine(rig.HubData, "datasets")).Open(FaultRig.Region).ReadRows();
        var ends = rows.Int64(DeltaSchema.IndexOf("window_end"));
        var nowMicros = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        long late = 0, future = 0;
        for (var i = 0; i < rows.RowCount; i++)
        {
            late += ends[i] < nowMicros - (long)(50 * 60 * 1e6) ? 1 : 0;
            future += ends[i] > nowMicros + (long)(MaxSkewSeconds * 1e6) ? 1 : 0;
        }

        rig.Log($"dataset: {rows.RowCount} rows, {late} from the late device's past, {future} beyond the skew limit");
        Assert.True(late >= 5, $"the late device's windows are missing from the dataset ({late})");
        Assert.Equal(0, future);
    }
}
