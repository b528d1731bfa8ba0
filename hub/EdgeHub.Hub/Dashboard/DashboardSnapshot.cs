using EdgeHub.Hub.Catalog;
using EdgeHub.Hub.Hosting;
using EdgeHub.Hub.Learning;
using EdgeHub.Learning.Registry;
using EdgeHub.Learning.Rollouts;

namespace EdgeHub.Hub.Dashboard;

/// <summary>Everything the dashboard draws, taken with the same catalog and rollout queries the REST API uses.</summary>
public sealed record DashboardSnapshot(
    DateTimeOffset At,
    IReadOnlyList<RegionRecord> Regions,
    IReadOnlyList<EdgeRecord> Edges,
    IReadOnlyList<DashboardDataset> Datasets,
    IReadOnlyList<RegisteredModel> Models,
    IReadOnlyList<DashboardRollout> Rollouts)
{
    /// <summary>Dataset commits sent per region (the timeline shows the most recent ones).</summary>
    public const int TimelineCommits = 60;

    /// <summary>Finished rollouts sent per region, besides the active one.</summary>
    public const int FinishedRollouts = 5;

    /// <summary>Builds a snapshot now.</summary>
    public static async Task<DashboardSnapshot> TakeAsync(HubCatalog catalog, HubRegions regions, RolloutService rollouts, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(regions);
        ArgumentNullException.ThrowIfNull(rollouts);
        var regionList = await catalog.ListRegionsAsync(ct).ConfigureAwait(false);
        var datasets = new List<DashboardDataset>(regionList.Count);
        var rolloutList = new List<DashboardRollout>();
        foreach (var r in regionList)
        {
            long rows = 0;
            long version = 0;
            if (regions.Table(r.Name) is { } table)
            {
                var s = table.Snapshot();
                rows = s.RowCount;
                version = s.Version;
            }

            var latest = await catalog.LatestVersionAsync(r.Name, ct).ConfigureAwait(false) ?? 0;
            var commits = latest > 0
                ? await catalog.ListVersionsAsync(r.Name, Math.Max(0, latest - TimelineCommits), latest, TimelineCommits, ct).ConfigureAwait(false)
                : [];
            datasets.Add(new DashboardDataset(r.Name, version, rows, commits));

            var (engine, _) = await rollouts.LoadAsync(r.Name, ct).ConfigureAwait(false);
            if (engine.Active is { } active)
            {
                rolloutList.Add(DashboardRollout.From(active));
            }

            var finished = engine.Finished;
            for (int i = finished.Count - 1, n = 0; i >= 0 && n < FinishedRollouts; i--, n++)
            {
                rolloutList.Add(DashboardRollout.From(finished[i]));
            }
        }

        rolloutList.Sort((a, b) => b.CreatedAt.CompareTo(a.CreatedAt));
        var edges = await catalog.ListEdgesAsync(null, ct).ConfigureAwait(false);
        var models = await catalog.ListModelsAsync(null, ct).ConfigureAwait(false);
        return new DashboardSnapshot(DateTimeOffset.UtcNow, regionList, edges, datasets, models, rolloutList);
    }
}

/// <summary>A regional dataset: current version and rows, and its recent commits (oldest first).</summary>
public sealed record DashboardDataset(string Region, long Version, long Rows, IReadOnlyList<DatasetVersionRecord> Commits);

/// <summary>A rollout with its progress counts and its latest history events.</summary>
public sealed record DashboardRollout(string RolloutId, string Region, string ModelVersion, string? PreviousModel, RolloutState State,
    DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt, string? AbortReason, int Phase, int Phases, int Targets, int Assigned, int Running,
    IReadOnlyList<RolloutEvent> RecentEvents)
{
    /// <summary>History events sent per rollout.</summary>
    public const int Events = 8;

    /// <summary>Summarises a record.</summary>
    public static DashboardRollout From(RolloutRecord r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var from = Math.Max(0, r.History.Count - Events);
        return new DashboardRollout(r.RolloutId, r.Plan.Region, r.Plan.ModelVersion, r.PreviousModel, r.State, r.CreatedAt, r.FinishedAt,
            r.AbortReason, r.Phase, r.Plan.Waves.Count + 1, r.Targets.Count, r.Assigned.Count, r.Running.Count, r.History.GetRange(from, r.History.Count - from));
    }
}
