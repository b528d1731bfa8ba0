using System.Text.Json.Nodes;
using EdgeHub.Datasets;
using EdgeHub.Hub.Options;

namespace EdgeHub.Cli.Demo;

/// <summary>demo-summary.json: what ran, what flowed, and whether the learning loop closed.</summary>
internal static class DemoSummary
{
    public static Task<JsonObject> BuildAsync(DemoSnapshot s, IReadOnlyList<RegionRig> rigs, HubOptions hub, TimeSpan elapsed, int devices,
        LoopTracker tracker)
    {
        long framesSent = 0, framesProcessed = 0, alerts = 0, labels = 0, deltasSent = 0, deltasCommitted = 0, rowsSent = 0, rowsCommitted = 0;
        var models = new JsonObject();
        var datasetVersions = new JsonObject();
        var alertQuality = new AlertScore();
        var store = new DatasetStore(hub.DatasetsRoot);
        foreach (var rig in rigs)
        {
            var e = EdgeSnapshot.Of(rig);
            framesSent += e.FramesSent;
            framesProcessed += e.FramesProcessed;
            alerts += e.Alerts;
            labels += e.Labels;
            models[rig.EdgeId] = e.ModelVersion;
            foreach (var delta in rig.Agent.Store.AllDeltas())
            {
                deltasSent++;
                rowsSent += delta.Rows;
                if (delta.Status is "committed" or "duplicate")
                {
                    deltasCommitted++;
                }
            }

            rowsCommitted += CountRows(store, rig.Region, rig.EdgeId);
            alertQuality.Add(rig);
        }

        foreach (var (region, version) in s.DatasetVersions())
        {
            datasetVersions[region] = version;
        }

        long p50 = 0, p99 = 0;
        foreach (var rig in rigs)
        {
            p50 = Math.Max(p50, rig.Fleet.Stats.Latency.Percentile(50));
            p99 = Math.Max(p99, rig.Fleet.Stats.Latency.Percentile(99));
        }

        var summary = new JsonObject
        {
            ["duration_s"] = Math.Round(elapsed.TotalSeconds, 1),
            ["devices"] = devices,
            ["frames_sent"] = framesSent,
            ["frames_processed"] = framesProcessed,
            ["alerts"] = alerts,
            ["alert_sensitivity"] = alertQuality.Sensitivity,
            ["alert_ppv"] = alertQuality.Ppv,
            ["labels"] = labels,
            ["deltas_sent"] = deltasSent,
            ["deltas_committed"] = deltasCommitted,
            ["rows_sent"] = rowsSent,
            ["rows_committed"] = rowsCommitted,
            ["dataset_versions"] = datasetVersions,
            ["models"] = models,
            ["models_registered"] = s.ModelCount,
            ["rollouts"] = s.RolloutCount,
            ["closed_loops"] = tracker.ClosedLoops,
            ["first_loop_closed_s"] = tracker.ToJson(),
            ["feedback_latency_ms"] = new JsonObject { ["p50"] = p50 / 1000.0, ["p99"] = p99 / 1000.0 },
        };
        return Task.FromResult(summary);
    }

    /// <summary>Rows in the region's table that came from <paramref name="edgeId"/> (the seed and other edges excluded).</summary>
    private static long CountRows(DatasetStore store, string region, string edgeId)
    {
        if (!store.Regions().Contains(region))
        {
            return 0;
        }

        var batch = store.Open(region).ReadRows();
        var ids = batch.String(batch.Schema.IndexOf("edge_id"));
        long n = 0;
        for (var i = 0; i < batch.RowCount; i++)
        {
            if (ids[i] == edgeId)
            {
                n++;
            }
        }

        return n;
    }
}
