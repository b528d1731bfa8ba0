using EdgeHub.Faults.Tests.Rig;
using Xunit.Abstractions;

namespace EdgeHub.Faults.Tests;

/// <summary>
/// SIGKILL of the edge agent (`edgehub edge`) at random points while devices stream, clinicians label, deltas are sealed
/// every second and resent until acknowledged; each time it restarts on the same data directory and port.
/// </summary>
[Collection(FaultCollection.Name)]
public class EdgeKillTests(ITestOutputHelper output)
{
    [Fact]
    public async Task EdgeSigkilledDuringIngestAndSealing_RestartsAndEveryStoredWindowIsInTheDatasetOnce()
    {
        await using var rig = FaultRig.Create(new RigSettings(), output, "edge-kill");
        var run = new FaultRun(rig);
        await using var ward = await run.StartWardAsync(devices: 16);

        for (var kill = 1; kill <= 3; kill++)
        {
            // Anywhere from "resending what the last run left unacknowledged" to "ingesting and sealing new windows".
            await run.RandomPauseAsync(0, 4000);
            rig.Log($"SIGKILL edge #{kill} ({await run.AckedAsync()} acks in this run)");
            rig.Edge.Kill();
            await rig.StartEdgeAsync();
            await run.WaitEdgeMetricAsync("edgehub_edge_deltas_acked_total", 1, TimeSpan.FromSeconds(60), $"the restarted edge (#{kill}) delivers deltas again");
        }

        await run.WaitEdgeMetricAsync("edgehub_edge_labels_total", 1, TimeSpan.FromSeconds(60), "a clinician label is joined after the last restart");
        var audit = await run.FinishAsync(ward, everyFrameKept: false);
        Assert.True(audit.HubWindows > 100, $"only {audit.HubWindows} windows reached the dataset");
        Assert.True(audit.HubLabelledWindows > 0, $"no labelled window reached the dataset ({ward.Answered.Count} alerts answered)");
        // Not asserted (see /work/briefs/bugs.md): a label only reaches windows stored before it, so alerts raised during a
        // device's first 10 s after a restart are confirmed without any window labelled.
        var unlabelled = ward.Answered.Keys.Where(a => audit.Edge.Alerts.Contains(a) && !audit.IsLabelled(a)).ToList();
        rig.Log($"{ward.Answered.Count} alerts confirmed, {unlabelled.Count} of them recorded by the edge without labelled windows in the dataset");
    }
}
