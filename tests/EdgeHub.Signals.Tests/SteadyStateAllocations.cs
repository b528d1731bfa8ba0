namespace EdgeHub.Signals.Tests;

/// <summary>
/// Asserts that steady-state work allocates nothing on the calling thread. The work runs in several stretches, each
/// measured: an allocation per call shows in every stretch, the runtime's own one-off work on the thread (seen once: 1,608
/// bytes while hot methods were being re-compiled) in one at most.
/// </summary>
internal static class SteadyStateAllocations
{
    /// <summary>Runs <paramref name="step"/> for indices 0 to <paramref name="count"/> - 1 in three measured stretches.</summary>
    public static void AssertNone(int count, Action<int> step)
    {
        var allocated = new long[3];
        var stretch = count / allocated.Length;
        for (var k = 0; k < allocated.Length; k++)
        {
            var end = k == allocated.Length - 1 ? count : (k + 1) * stretch;
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = k * stretch; i < end; i++)
            {
                step(i);
            }
            allocated[k] = GC.GetAllocatedBytesForCurrentThread() - before;
        }
        Assert.True(allocated.Count(a => a > 0) <= 1, $"allocated bytes per stretch: {string.Join(", ", allocated)}");
    }
}
