using EdgeHub.Faults.Tests.Rig;
using Xunit.Abstractions;

namespace EdgeHub.Faults.Tests;

/// <summary>
/// The edge's disk quota reached while it is cut off from the hub: the store stays within Edge:DiskQuotaMb by dropping
/// the oldest unsent unlabelled windows first and keeping labelled ones (the scarcest data), says so in
/// edgehub_edge_store_dropped_rows and its log, and once the link heals every window it kept, labelled ones included,
/// reaches the dataset exactly once.
/// </summary>
[Collection(FaultCollection.Name)]
public class DiskQuotaTests(ITestOutputHelper output)
{
    private const double QuotaMb = 0.3;

    [Fact]
    public async Task QuotaReachedWhileCutOff_OldestUnlabelledDroppedLabelledKept_ThenDeliveredOnce()
    {
        // At most 2 sealed deltas wait for an ack, so what piles up offline are unsealed rows, which the quota policy governs.
        await using var rig = FaultRig.Create(new RigSettings { DiskQuotaMb = QuotaMb, MaxUnackedDeltas = 2 }, output, "quota");
        var run = new FaultRun(rig);
        await using var ward = await run.StartWardAsync(devices: 40, firstAcks: 1);
        rig.Log("uplink cut");
        rig.Uplink.Cut();
        await run.WaitEdgeMetricAsync("edgehub_edge_labels_total", 1, TimeSpan.FromSeconds(60), "clinicians label windows while the edge is cut off");
        await run.WaitEdgeMetricAsync("edgehub_edge_store_dropped_rows", 1, TimeSpan.FromSeconds(90), "the quota policy drops rows once the store is full");

        var offline = EdgeStoreSnapshot.Read(rig.EdgeStorePath, FaultRig.EdgeId);
        var metrics = await rig.EdgeMetricsAsync();
        var used = metrics["edgehub_edge_store_used_bytes"];
        var labelled = offline.Windows.Where(w => w.Label is not null).Select(w => w.WindowId).ToList();
        var unsent = offline.Windows.Where(w => w.Sequence is null && w.Label is null && w.AlertId is null).ToList();
        rig.Log($"offline: {used / 1024:F0} KB used of {QuotaMb * 1024:F0} KB, {metrics["edgehub_edge_store_dropped_rows"]} rows dropped, " +
            $"{labelled.Count} labelled and {unsent.Count} plain unsent windows kept");
        Assert.True(rig.Edge.LogContains("disk quota"), "the edge does not log that its disk quota was reached");
        Assert.NotEmpty(labelled);
        // Labelled data is kept longest: unsent labelled windows older than the oldest plain window that survived are still there.
        var oldestPlain = unsent.Count == 0 ? long.MaxValue : unsent.Min(w => Id(w.WindowId));
        var keptOlder = offline.Windows.Count(w => w.Sequence is null && w.Label is not null && Id(w.WindowId) < oldestPlain);
        Assert.True(keptOlder > 0, $"no unsent labelled window older than the oldest plain one ({oldestPlain}) survived the quota");

        // The policy keeps holding while data keeps coming: another pass drops more, and the store stays near its quota
        // (passes run every 5 s, so it may overshoot by what arrives in between, never grow without bound).
        var dropped = metrics["edgehub_edge_store_dropped_rows"];
        await run.WaitEdgeMetricAsync("edgehub_edge_store_dropped_rows", dropped + 1, TimeSpan.FromSeconds(60), "a later quota pass drops more rows");
        var usedLater = await rig.EdgeMetricAsync("edgehub_edge_store_used_bytes");
        rig.Log($"later: {usedLater / 1024:F0} KB used, {await rig.EdgeMetricAsync("edgehub_edge_store_dropped_rows")} rows dropped");
        Assert.True(usedLater <= QuotaMb * 1024 * 1024 * 1.5, $"the store uses {usedLater / 1024:F0} KB, far beyond its {QuotaMb * 1024:F0} KB quota");

        // Once only labelled windows are left, a later pass must drop labelled ones too (oldest first): those are counted as
        // dropped, never sent unlabelled. Every labelled window that reaches the hub carries its label.
        var droppedBeforeHeal = await rig.EdgeMetricAsync("edgehub_edge_store_dropped_rows");
        rig.Log("uplink healed");
        rig.Uplink.Heal();
        var audit = await run.FinishAsync(ward, everyFrameKept: false, ackedRowsMayBePruned: true);
        var unlabelled = labelled.Where(id => audit.HasWindow(id) && !audit.IsWindowLabelled(id)).ToList();
        Assert.True(unlabelled.Count == 0, $"seed {run.Seed}: {unlabelled.Count} of {labelled.Count} labelled windows kept offline arrived without their label, e.g. {unlabelled.FirstOrDefault()}");
        var missing = labelled.Count(id => !audit.HasWindow(id));
        var droppedAfterSnapshot = await rig.EdgeMetricAsync("edgehub_edge_store_dropped_rows") - dropped;
        rig.Log($"{labelled.Count - missing} of {labelled.Count} labelled windows kept offline arrived labelled; {missing} dropped later by the quota " +
            $"({droppedAfterSnapshot} rows dropped after the snapshot, {droppedBeforeHeal - dropped} of them before the heal)");
        Assert.True(missing <= droppedAfterSnapshot, $"seed {run.Seed}: {missing} labelled windows kept offline never arrived, but the quota dropped only {droppedAfterSnapshot} rows after the snapshot");
    }

    private static long Id(string windowId) => long.Parse(windowId[(windowId.LastIndexOf('w') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
}
