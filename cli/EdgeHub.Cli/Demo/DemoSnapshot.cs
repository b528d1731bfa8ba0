using System.Text.Json.Nodes;

namespace EdgeHub.Cli.Demo;

/// <summary>What the demo shows at one moment: edge counters (in process) and the hub's view (from its REST API).</summary>
internal sealed class DemoSnapshot
{
    public TimeSpan Elapsed { get; init; }
    public List<EdgeSnapshot> Edges { get; } = [];
    public JsonNode? Datasets { get; set; }
    public JsonNode? Models { get; set; }
    public JsonNode? Rollouts { get; set; }
    public string? ApiError { get; set; }

    /// <summary>Latest dataset version per region, from GET /api/v1/datasets.</summary>
    public Dictionary<string, long> DatasetVersions()
    {
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var item in Items(Datasets))
        {
            var region = item?["region"]?.ToString();
            var version = item?["latestVersion"] ?? item?["version"] ?? item?["datasetVersion"];
            if (region is not null && version is JsonValue v && v.TryGetValue(out long n))
            {
                result[region] = n;
            }
        }

        return result;
    }

    /// <summary>Number of registered models.</summary>
    public int ModelCount => Items(Models).Count();

    /// <summary>Rollouts by state.</summary>
    public int RolloutCount => Items(Rollouts).Count();

    /// <summary>The array inside a list response (the response itself, or its "items").</summary>
    public static IEnumerable<JsonNode?> Items(JsonNode? node) => node switch
    {
        JsonArray array => array,
        JsonObject obj when obj["items"] is JsonArray items => items,
        _ => [],
    };
}

/// <summary>One edge's counters at a moment.</summary>
internal sealed record EdgeSnapshot(string EdgeId, string Region, long FramesSent, long FramesProcessed, long Alerts,
    long Labels, long BotAnswers, long DeltasSent, long DeltasAcked, long PendingRows, string? ModelVersion, string? CandidateVersion,
    double P50Ms, double P99Ms)
{
    public static EdgeSnapshot Of(RegionRig rig)
    {
        var agent = rig.Agent;
        var m = agent.Metrics;
        var latency = rig.Fleet.Stats.Latency;
        return new EdgeSnapshot(rig.EdgeId, rig.Region, rig.Fleet.Stats.FramesSent, agent.FramesProcessed,
            m.AlertsRaised, m.Labels, rig.Bot.Answered, m.DeltasSent, m.DeltasAcked, agent.Store.PendingRows, agent.Models.CurrentVersion,
            agent.Models.CandidateVersion, latency.Percentile(50) / 1000.0, latency.Percentile(99) / 1000.0);
    }
}
