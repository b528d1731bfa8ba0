using EdgeHub.Hub.Tests.Support;

namespace EdgeHub.Hub.Tests.Cluster;

/// <summary>
/// Drives one simulated edge the way a real one behaves, made hostile: it keeps a window of unacknowledged deltas, sends
/// them in shuffled order, re-sends anything not acknowledged as committed/duplicate after a timeout, and now and then
/// re-sends a delta that was already committed.
/// </summary>
public sealed class ResendingEdge(SimEdge edge, IReadOnlyList<TestDelta> deltas, int seed)
{
    private const int Window = 8;
    private readonly Random _random = new(seed);

    public SimEdge Edge => edge;

    public IReadOnlyList<TestDelta> Deltas => deltas;

    public int Sends { get; private set; }

    public int Resends { get; private set; }

    /// <summary>True once every delta is acknowledged as committed or duplicate.</summary>
    public bool Done => CountDone() == deltas.Count;

    public int CountDone()
    {
        var n = 0;
        foreach (var d in deltas)
        {
            if (IsDone(d.Sequence))
            {
                n++;
            }
        }

        return n;
    }

    public async Task RunAsync(TimeSpan deadline, CancellationToken ct)
    {
        var stop = DateTime.UtcNow + deadline;
        while (!Done)
        {
            ct.ThrowIfCancellationRequested();
            if (DateTime.UtcNow > stop)
            {
                throw new TimeoutException($"edge {edge.EdgeId}: only {CountDone()} of {deltas.Count} deltas acknowledged");
            }

            var batch = new List<TestDelta>(Window + 1);
            foreach (var d in deltas)
            {
                if (!IsDone(d.Sequence))
                {
                    batch.Add(d);
                    if (batch.Count == Window)
                    {
                        break;
                    }
                }
            }

            _random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(batch));
            if (_random.NextDouble() < 0.3)
            {
                // Re-send something already committed: must be answered "duplicate", never merged again.
                var committed = deltas.Where(d => IsDone(d.Sequence)).ToList();
                if (committed.Count > 0)
                {
                    batch.Insert(_random.Next(batch.Count + 1), committed[_random.Next(committed.Count)]);
                    Resends++;
                }
            }

            foreach (var d in batch)
            {
                try
                {
                    await edge.SendAsync(d);
                    Sends++;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Broker hiccup: the next round re-sends.
                }

                if (_random.NextDouble() < 0.1)
                {
                    // An immediate duplicate publish (an edge that missed its PUBACK).
                    await edge.SendAsync(d);
                    Resends++;
                }
            }

            // Wait for this round's acks, up to a timeout (a node may have died holding them).
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(2);
            while (DateTime.UtcNow < until && batch.Any(d => !IsDone(d.Sequence)))
            {
                if (batch.All(d => edge.Acks.ContainsKey(d.Sequence)))
                {
                    break;
                }

                await Task.Delay(20, ct);
            }

            foreach (var d in batch)
            {
                if (edge.Acks.TryGetValue(d.Sequence, out var a) && a.Status == "held")
                {
                    edge.Acks.TryRemove(d.Sequence, out _);
                }
            }
        }
    }

    private bool IsDone(long sequence) => edge.Acks.TryGetValue(sequence, out var a) && a.Status is "committed" or "duplicate";
}
