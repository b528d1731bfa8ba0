using EdgeHub.Faults.Tests.Rig;
using Xunit.Abstractions;

namespace EdgeHub.Faults.Tests;

/// <summary>
/// SIGKILL of the hub node (`edgehub hub`) at random points during delta ingest, twice, each time restarted on the same
/// data root: deltas the hub never acknowledged are resent by the edge, deltas it committed but could not acknowledge
/// are recognised by their (edge, sequence) transaction and acknowledged as duplicates, never merged twice.
/// </summary>
[Collection(FaultCollection.Name)]
public class HubKillTests(ITestOutputHelper output)
{
    /// <param name="embeddedBroker">
    /// false: the hub uses the standalone broker, which outlives it (scale-out topology). true: the hub's embedded broker is
    /// the uplink (single-node and demo topology), so each kill also drops the edge's uplink session, which must resubscribe.
    /// </param>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task HubSigkilledDuringIngest_RestartsAndEveryLabelledWindowIsInTheDatasetOnce(bool embeddedBroker)
    {
        await using var rig = FaultRig.Create(new RigSettings { HubEmbeddedBroker = embeddedBroker }, output, embeddedBroker ? "hub-kill-embedded" : "hub-kill");
        var run = new FaultRun(rig);
        await using var ward = await run.StartWardAsync(devices: 16);

        for (var kill = 1; kill <= 2; kill++)
        {
            await run.RandomPauseAsync(0, 3000);
            var acked = await run.AckedAsync();
            rig.Log($"SIGKILL hub #{kill} (edge has {acked} acks)");
            rig.Hub.Kill();
            // Down long enough for the edge to seal and send into the void (deltas every second, resends every 0.5-2 s).
            await run.RandomPauseAsync(1000, 4000);
            await rig.StartHubAsync();
            await run.WaitEdgeMetricAsync("edgehub_edge_deltas_acked_total", acked + 3, TimeSpan.FromSeconds(60),
                $"the restarted hub (#{kill}) acknowledges the edge's deltas again");
        }

        await run.WaitEdgeMetricAsync("edgehub_edge_labels_total", 1, TimeSpan.FromSeconds(60), "a clinician label is joined");
        // Enough data through the kills however fast the edge recovered (a quick recovery made a short run: 133 windows).
        await run.WaitEdgeMetricAsync("edgehub_edge_windows_total", 200, TimeSpan.FromSeconds(60), "200 windows computed by the edge");
        var audit = await run.FinishAsync(ward, everyFrameKept: true);
        Assert.True(audit.HubWindows > 150, $"only {audit.HubWindows} windows reached the dataset");
        Assert.True(audit.HubLabelledWindows > 0, $"no labelled window reached the dataset ({ward.Answered.Count} alerts answered)");
    }
}
