using System.Diagnostics;
using EdgeHub.Datasets;

namespace EdgeHub.Datasets.Tests;

public class CrashTests
{
    private static string WriterDll => Path.Combine(AppContext.BaseDirectory, "EdgeHub.Datasets.DeltaWriter.dll");

    [Fact]
    public void Writer_SigkilledMidCommit_TableLoadsWithEveryAcknowledgedDeltaAtMostOrphanFiles()
    {
        using var tmp = new TempStore();
        var acknowledged = new Dictionary<long, long>();
        var rnd = new Random(7);
        long next = 1;
        for (var round = 0; round < 3; round++)
        {
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { WriterDll, tmp.Root, "eu", "edge-k", next.ToString(System.Globalization.CultureInfo.InvariantCulture), "100000" })
                psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            _ = p.StandardError.ReadToEndAsync();
            var target = 5 + rnd.Next(20);
            var seen = 0;
            var deadline = DateTime.UtcNow.AddSeconds(90);
            while (seen < target)
            {
                var line = p.StandardOutput.ReadLine();
                Assert.True(line is not null, "writer exited early");
                Assert.True(DateTime.UtcNow < deadline, "writer too slow");
                var parts = line!.Split(' ', 2);
                var seq = long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
                if (parts[1].StartsWith("Committed", StringComparison.Ordinal))
                {
                    var v = long.Parse(parts[1].Split('=', ' ', '}').First(x => x.Length > 0 && char.IsDigit(x[0])), System.Globalization.CultureInfo.InvariantCulture);
                    acknowledged[seq] = v;
                }
                seen++;
            }
            p.Kill(); // SIGKILL on Unix: no finally blocks, no flushes
            Assert.True(p.WaitForExit(30_000));

            // The table loads, holds every acknowledged delta at the acknowledged version, and is contiguous.
            var store = new DatasetStore(tmp.Root);
            var table = store.Open("eu");
            var history = table.History().Where(h => h.EdgeId == "edge-k").ToList();
            foreach (var (seq, version) in acknowledged)
                Assert.Contains(history, h => h.Sequence == seq && h.Version == version);
            var last = table.LastSequence("edge-k")!.Value;
            Assert.Equal(Enumerable.Range(1, (int)last).Select(i => (long)i), history.Select(h => h.Sequence!.Value));
            Assert.Equal(last * 20, table.ReadRows().RowCount);
            var referenced = table.Snapshot().Files.Select(f => f.Path).ToHashSet();
            var orphans = Directory.GetFiles(tmp.Root + "/eu", "*.parquet").Select(Path.GetFileName).Where(f => !referenced.Contains(f!)).ToList();
            Assert.True(orphans.Count <= round + 1, $"at most one orphan data file per kill, found {orphans.Count}");
            next = last + 1;
        }
        // After the crashes, orphans are vacuumed and the table is unchanged.
        var final = new DatasetStore(tmp.Root).Open("eu");
        var rowsBefore = final.ReadRows().RowCount;
        final.Vacuum(TimeSpan.Zero);
        Assert.Equal(rowsBefore, final.ReadRows().RowCount);
        var live = final.Snapshot().Files.Select(f => f.Path).ToHashSet();
        Assert.All(Directory.GetFiles(tmp.Root + "/eu", "*.parquet"), f => Assert.Contains(Path.GetFileName(f), live));
    }
}
