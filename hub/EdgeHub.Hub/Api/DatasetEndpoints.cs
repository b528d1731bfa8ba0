using EdgeHub.Contracts;
using EdgeHub.Hub.Catalog;
using EdgeHub.Hub.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace EdgeHub.Hub.Api;

/// <summary>Regional datasets: summary, versions, the Delta commit log, diff between versions, lineage of a version.</summary>
internal static class DatasetEndpoints
{
    public sealed record DatasetSummary(string Region, long LatestVersion, long Rows, int Files, string SchemaId, DateTimeOffset? UpdatedAt);

    public sealed record EdgeContribution(string EdgeId, long Commits, long Rows, long LabelledRows, long FirstSequence, long LastSequence);

    public sealed record DatasetDiff(string Region, long From, long To, long Commits, long Rows, long LabelledRows, long Bytes,
        IReadOnlyList<EdgeContribution> Edges, IReadOnlyList<DatasetVersionRecord> Deltas);

    public sealed record DatasetLineage(string Region, long Version, DatasetVersionRecord? Commit, long Rows,
        IReadOnlyList<EdgeContribution> Edges, IReadOnlyList<string> ModelsTrainedOnIt);

    private const int MaxDiffCommits = 100_000;

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/datasets", async (HubCatalog catalog, HubRegions regions, CancellationToken ct) =>
        {
            var list = new List<DatasetSummary>();
            foreach (var r in await catalog.ListRegionsAsync(ct))
            {
                if (Summary(regions, r.Name) is { } s)
                {
                    list.Add(s);
                }
            }

            return Results.Ok(list);
        }).WithName("ListDatasets").WithSummary("One dataset per region: latest version, rows, files.");

        api.MapGet("/datasets/{region}", (string region, HubRegions regions) =>
            Summary(regions, region) is { } s ? Results.Ok(s) : NoDataset(region)).WithName("GetDataset");

        api.MapGet("/datasets/{region}/versions", async (string region, long? after, int? limit, HubCatalog catalog, CancellationToken ct) =>
        {
            if (limit is < 1 or > 10_000)
            {
                return ApiResults.BadRequest("limit must be 1-10000");
            }

            return Ids.IsValid(region)
                ? Results.Ok(await catalog.ListVersionsAsync(region, after ?? 0, long.MaxValue, limit ?? 500, ct))
                : ApiResults.BadRequest($"region '{region}' is not a valid id");
        }).WithName("ListDatasetVersions").WithSummary("Versions (one per committed delta), oldest first; ?after=V&limit=N pages.");

        api.MapGet("/datasets/{region}/versions/{version:long}", async (string region, long version, HubCatalog catalog, CancellationToken ct) =>
            await catalog.GetVersionAsync(region, version, ct) is { } v ? Results.Ok(v) : ApiResults.NotFound($"region '{region}' has no version {version}"))
            .WithName("GetDatasetVersion");

        api.MapGet("/datasets/{region}/commits", (string region, long? after, int? limit, HubRegions regions) =>
        {
            if (regions.Table(region) is not { } table)
            {
                return NoDataset(region);
            }

            var list = new List<Datasets.DeltaCommitInfo>();
            foreach (var c in table.History())
            {
                if (c.Version > (after ?? -1))
                {
                    list.Add(c);
                    if (list.Count >= (limit ?? 500))
                    {
                        break;
                    }
                }
            }

            return Results.Ok(list);
        }).WithName("ListDatasetCommits").WithSummary("The Delta log itself: every commit with operation, edge, sequence, rows, file.");

        api.MapGet("/datasets/{region}/diff", async (string region, long? from, long? to, HubCatalog catalog, HubRegions regions, CancellationToken ct) =>
        {
            if (from is null || to is null || from < 0 || to < from)
            {
                return ApiResults.BadRequest("give ?from=V1&to=V2 with 0 <= V1 <= V2");
            }

            if (regions.Table(region) is not { } table)
            {
                return NoDataset(region);
            }

            if (to > table.LatestVersion)
            {
                return ApiResults.NotFound($"region '{region}' has no version {to} (latest is {table.LatestVersion})");
            }

            var deltas = await catalog.ListVersionsAsync(region, from.Value, to.Value, MaxDiffCommits, ct);
            long rows = 0, labelled = 0, bytes = 0;
            foreach (var d in deltas)
            {
                rows += d.Rows;
                labelled += d.LabelledRows;
                bytes += d.Bytes;
            }

            return Results.Ok(new DatasetDiff(region, from.Value, to.Value, deltas.Count, rows, labelled, bytes, ByEdge(deltas), deltas));
        }).WithName("DiffDataset").WithSummary("What versions (from, to] added: deltas, rows, labelled rows, per edge.");

        api.MapGet("/datasets/{region}/versions/{version:long}/lineage", async (string region, long version, HubCatalog catalog, HubRegions regions, CancellationToken ct) =>
        {
            if (regions.Table(region) is not { } table)
            {
                return NoDataset(region);
            }

            if (version < 0 || version > table.LatestVersion)
            {
                return ApiResults.NotFound($"region '{region}' has no version {version} (latest is {table.LatestVersion})");
            }

            var upTo = await catalog.ListVersionsAsync(region, 0, version, MaxDiffCommits, ct);
            long rows = 0;
            foreach (var d in upTo)
            {
                rows += d.Rows;
            }

            var models = await catalog.ModelsOnDatasetVersionAsync(region, version, ct);
            return Results.Ok(new DatasetLineage(region, version, await catalog.GetVersionAsync(region, version, ct), rows, ByEdge(upTo), models));
        }).WithName("GetDatasetLineage").WithSummary("Which deltas and edges make up a version, and which models were trained on it.");
    }

    private static IResult NoDataset(string region) => ApiResults.NotFound($"region '{region}' has no dataset: create the region first (POST /api/v1/regions)");

    private static DatasetSummary? Summary(HubRegions regions, string region)
    {
        if (regions.Table(region) is not { } table)
        {
            return null;
        }

        var snapshot = table.Snapshot();
        return new DatasetSummary(region, snapshot.Version, snapshot.RowCount, snapshot.Files.Count, DeltaSchema.Id, snapshot.Timestamp);
    }

    private static List<EdgeContribution> ByEdge(List<DatasetVersionRecord> deltas)
    {
        var map = new SortedDictionary<string, EdgeContribution>(StringComparer.Ordinal);
        foreach (var d in deltas)
        {
            map[d.EdgeId] = map.TryGetValue(d.EdgeId, out var e)
                ? e with
                {
                    Commits = e.Commits + 1,
                    Rows = e.Rows + d.Rows,
                    LabelledRows = e.LabelledRows + d.LabelledRows,
                    FirstSequence = Math.Min(e.FirstSequence, d.Sequence),
                    LastSequence = Math.Max(e.LastSequence, d.Sequence),
                }
                : new EdgeContribution(d.EdgeId, 1, d.Rows, d.LabelledRows, d.Sequence, d.Sequence);
        }

        return [.. map.Values];
    }
}
