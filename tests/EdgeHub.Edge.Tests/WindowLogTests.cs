using EdgeHub.Contracts;
using EdgeHub.Edge.Store;
using EdgeHub.Edge.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeHub.Edge.Tests;

public class WindowLogTests
{
    private static WindowRecord Row(string device, long endMicros) => new()
    {
        SiteId = "ward-1",
        DevicePseudonym = device,
        PatientPseudonym = "p_pat",
        WindowEndMicros = endMicros,
        RecordedAtMicros = endMicros,
    };

    /// <summary>Inserts one window per second for two interleaved devices and logs device A's row ids, as the writer does.</summary>
    private static WindowLog InsertInterleaved(EdgeStore store, int seconds)
    {
        var log = new WindowLog();
        for (var s = 0; s < seconds; s++)
        {
            var rows = new[] { Row("p_a", s * 1_000_000L), Row("p_b", s * 1_000_000L) };
            var ids = new long[2];
            store.InsertWindows(rows, ids);
            log.Add(rows[0].WindowEndMicros, ids[0]);
        }

        return log;
    }

    [Fact]
    public void Collect_RangeInsideTheLog_GivesExactlyThoseRows()
    {
        var log = new WindowLog();
        for (var i = 0; i < 40; i++)
        {
            log.Add(i * 1_000_000L, 100 + i);
        }

        Span<long> ids = stackalloc long[WindowLog.Capacity];
        var n = log.Collect(30_000_000, 33_000_000, ids);
        Assert.Equal([130L, 131, 132, 133], ids[..n].ToArray());
        // Reaching back past the oldest remembered window: the caller must search.
        Assert.Equal(-1, log.Collect(20_000_000, 39_000_000, ids));
        Assert.Equal(0, new WindowLog().Collect(0, 10, ids));
    }

    [Fact]
    public void AssignAlert_WithLog_LinksTheDevicesWindowsLikeTheSearch()
    {
        using var dir = new TempDir();
        using var store = new EdgeStore(Path.Combine(dir.Path, "e.db"), "edge-7", NullLogger.Instance);
        var log = InsertInterleaved(store, 30);
        store.RecordAlert("al-log", "af", "model", "ward-1", "p_a", 25_000_000);
        Assert.Equal(5, store.AssignAlert("al-log", "p_a", 25_000_000, 29_000_000, log));
        // Out of the log's reach: the same call falls back to the table search and still finds the device's rows only.
        store.RecordAlert("al-old", "af", "model", "ward-1", "p_a", 0);
        Assert.Equal(30, store.AssignAlert("al-old", "p_a", 0, 29_000_000, log));

        // Labels reach exactly the linked windows: 5 for the recent alert, all 30 of device A (never B's) for the old one.
        Assert.Equal(5, store.ApplyLabel("al-log", (int)RhythmClass.AtrialFibrillation, "confirm", DateTimeOffset.UtcNow));
        Assert.Equal(30, store.ApplyLabel("al-old", (int)RhythmClass.AtrialFibrillation, "confirm", DateTimeOffset.UtcNow));
    }
}
