using System.Text.Json.Nodes;

namespace EdgeHub.Cli.Demo;

/// <summary>
/// Counts closed learning loops: a model that has a parent (so it was retrained on rows that arrived after the seed, i.e.
/// clinicians' labels sent by the edges) and that became the active model of its region's edge. Each (region, model) counts once.
/// </summary>
internal sealed class LoopTracker
{
    private readonly HashSet<string> _closed = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TimeSpan> _firstClosedAt = new(StringComparer.Ordinal);

    public int ClosedLoops => _closed.Count;

    public IReadOnlyDictionary<string, TimeSpan> FirstClosedAt => _firstClosedAt;

    public void Observe(DemoSnapshot snapshot)
    {
        var retrained = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var model in DemoSnapshot.Items(snapshot.Models))
        {
            var version = model?["version"]?.ToString();
            var parent = model?["parentVersion"]?.ToString();
            if (version is not null && !string.IsNullOrEmpty(parent))
            {
                retrained[version] = model?["region"]?.ToString() ?? "";
            }
        }

        foreach (var edge in snapshot.Edges)
        {
            if (edge.ModelVersion is { } active && retrained.TryGetValue(active, out var region) && region == edge.Region
                && _closed.Add($"{edge.Region}/{active}"))
            {
                _firstClosedAt.TryAdd(edge.Region, snapshot.Elapsed);
            }
        }
    }

    public JsonObject ToJson()
    {
        var first = new JsonObject();
        foreach (var (region, at) in _firstClosedAt)
        {
            first[region] = Math.Round(at.TotalSeconds, 1);
        }

        return first;
    }
}
