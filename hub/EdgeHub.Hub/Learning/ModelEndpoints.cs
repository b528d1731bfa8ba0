using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeHub.Contracts;
using EdgeHub.Hub.Api;
using EdgeHub.Hub.Catalog;
using EdgeHub.Learning.Registry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace EdgeHub.Hub.Learning;

/// <summary>Model registry endpoints: list, get, metrics, lineage, ONNX download.</summary>
internal static class ModelEndpoints
{
    public sealed record ModelLineageView(RegisteredModel Model, IReadOnlyList<string> Ancestors, long DatasetVersion, long? SinceDatasetVersion,
        IReadOnlyList<DatasetVersionRecord> Deltas, IReadOnlyList<string> Edges, IReadOnlyList<string> RunningOn, IReadOnlyList<string> Rollouts);

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/models", async (string? region, HubCatalog catalog, CancellationToken ct) =>
        {
            if (region is not null && !Ids.IsValid(region))
            {
                return ApiResults.BadRequest($"region '{region}' is not a valid id");
            }

            return Results.Ok(await catalog.ListModelsAsync(region, ct));
        }).WithName("ListModels").WithSummary("Registered models, newest first; ?region= filters.");

        api.MapGet("/models/{version}", async (string version, HubCatalog catalog, CancellationToken ct) =>
            await catalog.GetModelAsync(version, ct) is { } m ? Results.Ok(m) : NoModel(version)).WithName("GetModel");

        api.MapGet("/models/{version}/metrics", async (string version, HubCatalog catalog, CancellationToken ct) =>
        {
            if (await catalog.GetModelAsync(version, ct) is not { } m)
            {
                return NoModel(version);
            }

            var body = new JsonObject
            {
                ["version"] = m.Version,
                ["metrics"] = m.Metrics is null ? null : JsonSerializer.SerializeToNode(m.Metrics, LearningJson.Default.ClassificationMetrics),
                ["parentMetrics"] = m.ParentMetrics is null ? null : JsonSerializer.SerializeToNode(m.ParentMetrics, LearningJson.Default.ClassificationMetrics),
                ["gate"] = m.Gate is null ? null : JsonSerializer.SerializeToNode(m.Gate, LearningJson.Default.GateDecision),
            };
            return Results.Text(body.ToJsonString(), "application/json");
        }).WithName("GetModelMetrics").WithSummary("Holdout metrics (per class sensitivity, PPV, AUROC, F1, calibration) and the gate's decision.");

        api.MapGet("/models/{version}/lineage", async (string version, HubCatalog catalog, RolloutService rollouts, CancellationToken ct) =>
        {
            if (await catalog.GetModelAsync(version, ct) is not { } m)
            {
                return NoModel(version);
            }

            var ancestors = new List<string>();
            var parent = m.ParentVersion;
            while (parent is not null && ancestors.Count < 1000 && await catalog.GetModelAsync(parent, ct) is { } p)
            {
                ancestors.Add(p.Version);
                parent = p.ParentVersion;
            }

            var since = m.TrainingMode == "differential" ? m.BaseDatasetVersion : null;
            var deltas = await catalog.ListVersionsAsync(m.Region, since ?? 0, m.DatasetVersion, 100_000, ct);
            var edges = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var d in deltas)
            {
                edges.Add(d.EdgeId);
            }

            // And forward: which edges run it now (their last status) and which rollouts carried it.
            var running = new List<string>();
            foreach (var e in await catalog.ListEdgesAsync(m.Region, ct))
            {
                if (e.ModelVersion == m.Version)
                {
                    running.Add(e.EdgeId);
                }
            }

            var carried = new List<string>();
            var (engine, _) = await rollouts.LoadAsync(m.Region, ct);
            foreach (var r in engine.Finished)
            {
                if (r.Plan.ModelVersion == m.Version)
                {
                    carried.Add(r.RolloutId);
                }
            }

            if (engine.Active is { } active && active.Plan.ModelVersion == m.Version)
            {
                carried.Add(active.RolloutId);
            }

            return Results.Ok(new ModelLineageView(m, ancestors, m.DatasetVersion, since, deltas, [.. edges], running, carried));
        }).WithName("GetModelLineage").WithSummary("Model → parent chain → dataset version → deltas → edges that sent them; plus the edges running it and the rollouts that carried it.");

        api.MapGet("/models/{version}/onnx", async (string version, HubCatalog catalog, ModelFiles files, CancellationToken ct) =>
        {
            if (await catalog.GetModelAsync(version, ct) is not { } m)
            {
                return NoModel(version);
            }

            var bytes = await files.ReadAsync(m.Region, m.Version, m.Sha256, ct);
            return bytes is null
                ? ApiResults.NotFound($"the ONNX file of model '{version}' is missing from the data root")
                : Results.File(bytes, "application/octet-stream", m.Version + ".onnx");
        }).RequireAuthorization(Policies.Download).WithName("DownloadModel").WithSummary("The signed ONNX bytes (verify with the signing key).");
    }

    private static IResult NoModel(string version) => ApiResults.NotFound($"model '{version}' is not registered");
}
