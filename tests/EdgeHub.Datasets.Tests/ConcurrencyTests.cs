using System.Collections.Concurrent;
using EdgeHub.Datasets;

namespace EdgeHub.Datasets.Tests;

public class ConcurrencyTests
{
    [Fact]
    public void CommitDelta_FourRacingWriters_ThousandDeltasNothingLostNothingDuplicated()
    {
        using var tmp = new TempStore();
        new DatasetStore(tmp.Root).OpenOrCreate("eu", TempStore.Schema);
        const int edges = 10, perEdge = 100;
        // Every delta is prepared once (as an edge would) and sent by two of the four writers, in each writer's own order.
        var deltas = new Dictionary<(string, long), (byte[] Bytes, DeltaManifest M)>();
        for (var e = 0; e < edges; e++)
            for (long s = 1; s <= perEdge; s++)
                deltas[($"edge-{e}", s)] = TempStore.Delta("eu", $"edge-{e}", s, 3);
        var committed = new ConcurrentBag<((string, long) Key, long Version)>();
        var writers = new Thread[4];
        var errors = new ConcurrentQueue<Exception>();
        for (var w = 0; w < writers.Length; w++)
        {
            var id = w;
            writers[w] = new Thread(() =>
            {
                try
                {
                    var store = new DatasetStore(tmp.Root); // its own table object and locks, like another hub node
                    for (var e = 0; e < edges; e++)
                    {
                        // Writers 0,1 own even edges, 2,3 odd edges, and each also helps with one other edge family.
                        if ((e % 2 == 0) != (id < 2) && e % 5 != id) continue;
                        for (long s = 1; s <= perEdge; s++)
                        {
                            var key = ($"edge-{e}", s);
                            var (bytes, m) = deltas[key];
                            if (store.CommitDelta("eu", m.EdgeId, s, bytes, m) is CommitResult.Committed c) committed.Add((key, c.Version));
                        }
                    }
                }
                catch (Exception ex)
                {
                    errors.Enqueue(ex);
                }
            });
            writers[w].Start();
        }
        foreach (var t in writers) Assert.True(t.Join(TimeSpan.FromMinutes(3)), "writer did not finish within 3 minutes");
        Assert.Empty(errors);

        // Like edges re-sending what was not acknowledged: one pass over everything, in order.
        var final = new DatasetStore(tmp.Root);
        foreach (var ((edge, s), (bytes, m)) in deltas.OrderBy(d => d.Key.Item1, StringComparer.Ordinal).ThenBy(d => d.Key.Item2))
        {
            var r = final.CommitDelta("eu", edge, s, bytes, m);
            if (r is CommitResult.Committed c) committed.Add(((edge, s), c.Version));
            else Assert.IsType<CommitResult.Duplicate>(r);
        }

        var table = final.Open("eu");
        Assert.Equal(edges * perEdge, table.LatestVersion);
        Assert.Equal(edges * perEdge, committed.Count);
        Assert.Equal(edges * perEdge, committed.Select(c => c.Key).Distinct().Count());
        Assert.Equal(edges * perEdge, committed.Select(c => c.Version).Distinct().Count());
        var snap = table.Snapshot();
        Assert.Equal(edges * perEdge, snap.Files.Count);
        Assert.Equal(edges * perEdge * 3, table.ReadRows().RowCount);
        var history = table.History().Where(h => h.EdgeId is not null).ToList();
        Assert.Equal(edges * perEdge, history.Count);
        for (var e = 0; e < edges; e++)
        {
            Assert.Equal(perEdge, table.LastSequence($"edge-{e}"));
            // Per edge, sequences were committed strictly in order.
            var seqs = history.Where(h => h.EdgeId == $"edge-{e}").Select(h => h.Sequence!.Value).ToList();
            Assert.Equal(Enumerable.Range(1, perEdge).Select(i => (long)i), seqs);
        }
    }
}
