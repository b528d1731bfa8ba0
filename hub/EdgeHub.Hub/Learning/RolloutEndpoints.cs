using EdgeHub.Contracts;
using EdgeHub.Hub.Api;
using EdgeHub.Hub.Catalog;
using EdgeHub.Learning.Registry;
using EdgeHub.Learning.Rollouts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace EdgeHub.Hub.Learning;

/// <summary>Rollouts (create, pause, resume, promote, roll back, history), edge pins, and retrain commands.</summary>
internal static class RolloutEndpoints
{
    public sealed record WaveRequest(int? Edges, double? Percent, double IntervalSeconds);

    public sealed record AbortRequest(int? MaxFailedEdges, double? MaxShadowDisagreement, double? MaxOverrideRate, double? SilentTimeoutSeconds,
        double? ActivationTimeoutSeconds);

    public sealed record CreateRolloutRequest(string? Region, string? ModelVersion, IReadOnlyList<string>? CanaryEdges, double? CanaryPercent,
        double? CanaryDurationSeconds, IReadOnlyList<WaveRequest>? Waves, int? ShadowWindows, AbortRequest? Abort);

    public sealed record ReasonRequest(string? Reason);

    public sealed record PinRequest(string? ModelVersion);

    public sealed record RetrainRequest(string? Region, string? Mode);

    public sealed record RolloutSummary(string RolloutId, string Region, string ModelVersion, string? PreviousModel, RolloutState State,
        DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt, string? AbortReason, int Targets, int Assigned, int Running);

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/rollouts", async (string? region, HubCatalog catalog, RolloutService rollouts, CancellationToken ct) =>
        {
            var list = new List<RolloutSummary>();
            foreach (var r in await catalog.ListRegionsAsync(ct))
            {
                if (region is not null && r.Name != region)
                {
                    continue;
                }

                var (engine, _) = await rollouts.LoadAsync(r.Name, ct);
                foreach (var rec in engine.Finished)
                {
                    list.Add(Summary(rec));
                }

                if (engine.Active is { } active)
                {
                    list.Add(Summary(active));
                }
            }

            list.Sort((a, b) => b.CreatedAt.CompareTo(a.CreatedAt));
            return Results.Ok(list);
        }).WithName("ListRollouts").WithSummary("Rollouts, newest first; ?region= filters.");

        api.MapGet("/rollouts/{rolloutId}", async (string rolloutId, HubCatalog catalog, RolloutService rollouts, CancellationToken ct) =>
            await FindAsync(rolloutId, catalog, rollouts, ct) is { } found ? Results.Ok(found.Record) : NoRollout(rolloutId)).WithName("GetRollout");

        api.MapGet("/rollouts/{rolloutId}/history", async (string rolloutId, HubCatalog catalog, RolloutService rollouts, CancellationToken ct) =>
            await FindAsync(rolloutId, catalog, rollouts, ct) is { } found ? Results.Ok(found.Record.History) : NoRollout(rolloutId))
            .WithName("GetRolloutHistory").WithSummary("Every state change, assignment, abort reason and pin of the rollout.");

        api.MapPost("/rollouts", async (CreateRolloutRequest? body, HubCatalog catalog, RolloutService rollouts, IModelRegistryStore registry, CancellationToken ct) =>
        {
            if (body is null || !Ids.IsValid(body.Region) || string.IsNullOrEmpty(body.ModelVersion))
            {
                return ApiResults.BadRequest("body needs \"region\" and \"modelVersion\", plus \"canaryEdges\" or \"canaryPercent\"");
            }

            var model = await registry.GetAsync(body.ModelVersion, ct);
            if (model is null)
            {
                return ApiResults.NotFound($"model '{body.ModelVersion}' is not registered");
            }

            if (model.Region != body.Region)
            {
                return ApiResults.BadRequest($"model '{model.Version}' was trained for region '{model.Region}', not '{body.Region}': models never cross regions");
            }

            if (model.Status != ModelStatus.Approved)
            {
                return ApiResults.Conflict($"model '{model.Version}' is {model.Status}: only models that passed the gate can be rolled out");
            }

            RolloutPlan plan;
            try
            {
                plan = ToPlan(body, $"{body.Region}.{Guid.NewGuid().ToString("N")[..10]}");
                plan.Validate();
            }
            catch (ArgumentException ex)
            {
                return ApiResults.BadRequest(ex.Message);
            }

            try
            {
                var record = await rollouts.MutateAsync(body.Region!, (engine, now) => (engine.Create(plan, now), (IReadOnlyList<AssignmentCommand>)[]), ct);
                return Results.Created($"/api/v1/rollouts/{record.RolloutId}", record);
            }
            catch (InvalidOperationException ex)
            {
                return ApiResults.Conflict(ex.Message);
            }
            catch (ArgumentException ex)
            {
                return ApiResults.BadRequest(ex.Message);
            }
        }).RequireAuthorization(Policies.Operate).WithName("CreateRollout").WithSummary("Starts a rollout: canary edges (or a percentage), then waves.");

        MapAction(api, "pause", (engine, now, reason) => { engine.Pause(now, reason ?? "operator"); return []; });
        MapAction(api, "resume", (engine, now, _) => { engine.Resume(now); return []; });
        MapAction(api, "rollback", (engine, now, reason) => engine.Abort(now, reason ?? "operator"));
        MapAction(api, "promote", (engine, now, reason) =>
        {
            // Fast-forward: no more baking time in the canary and the remaining waves; edges must still switch and report
            // healthy, and every abort criterion still applies.
            var r = engine.Active ?? throw new InvalidOperationException($"region {engine.Region} has no rollout in progress");
            var waves = new List<RolloutWave>();
            foreach (var w in r.Plan.Waves)
            {
                waves.Add(w with { Interval = TimeSpan.Zero });
            }

            r.Plan = r.Plan with { CanaryDuration = TimeSpan.Zero, Waves = waves, StartAt = null };
            r.History.Add(new RolloutEvent(now, "promote", "operator promote: remaining phases without baking time" + (reason is null ? "" : ": " + reason)));
            return engine.Tick(now, []);
        });

        api.MapPut("/edges/{edgeId}/pin", async (string edgeId, PinRequest? body, HubCatalog catalog, RolloutService rollouts, IModelRegistryStore registry, CancellationToken ct) =>
        {
            if (await catalog.GetEdgeAsync(edgeId, ct) is not { } edge)
            {
                return ApiResults.NotFound($"edge '{edgeId}' is not registered");
            }

            if (string.IsNullOrEmpty(body?.ModelVersion) || await registry.GetAsync(body.ModelVersion, ct) is not { } model)
            {
                return ApiResults.BadRequest($"body must be {{\"modelVersion\": \"<registered model>\"}}; '{body?.ModelVersion}' is not registered");
            }

            if (model.Region != edge.Region)
            {
                return ApiResults.BadRequest($"model '{model.Version}' belongs to region '{model.Region}', edge '{edgeId}' to '{edge.Region}'");
            }

            await rollouts.MutateAsync(edge.Region, (engine, now) => (0, engine.Pin(edgeId, model.Version, now)), ct);
            await catalog.SetPinAsync(edgeId, model.Version, ct);
            return Results.Ok(await catalog.GetEdgeAsync(edgeId, ct));
        }).RequireAuthorization(Policies.Operate).WithName("PinEdge").WithSummary("Pins an edge to a model; rollouts leave it alone.");

        api.MapDelete("/edges/{edgeId}/pin", async (string edgeId, HubCatalog catalog, RolloutService rollouts, CancellationToken ct) =>
        {
            if (await catalog.GetEdgeAsync(edgeId, ct) is not { } edge)
            {
                return ApiResults.NotFound($"edge '{edgeId}' is not registered");
            }

            try
            {
                await rollouts.MutateAsync(edge.Region, (engine, now) => (0, engine.Unpin(edgeId, now)), ct);
            }
            catch (InvalidOperationException ex)
            {
                return ApiResults.Conflict(ex.Message);
            }

            await catalog.SetPinAsync(edgeId, null, ct);
            return Results.Ok(await catalog.GetEdgeAsync(edgeId, ct));
        }).RequireAuthorization(Policies.Operate).WithName("UnpinEdge");

        api.MapPost("/models/retrain", async (RetrainRequest? body, HubCatalog catalog, CancellationToken ct) =>
        {
            if (body is null || !Ids.IsValid(body.Region) || !await catalog.RegionExistsAsync(body.Region!, ct))
            {
                return ApiResults.BadRequest($"body must be {{\"region\": \"<existing region>\", \"mode\": \"full\"|\"differential\"|null}}; region '{body?.Region}' is unknown");
            }

            if (body.Mode is not (null or "full" or "differential"))
            {
                return ApiResults.BadRequest($"mode '{body.Mode}' is not 'full' or 'differential'");
            }

            await catalog.RequestRetrainAsync(body.Region!, body.Mode, "api", ct);
            return Results.Accepted(value: new { region = body.Region, mode = body.Mode, status = "requested" });
        }).RequireAuthorization(Policies.Operate).WithName("RequestRetrain").WithSummary("Asks the retrain scheduler to retrain a region at its next check.");
    }

    private static void MapAction(RouteGroupBuilder api, string verb, Func<RolloutEngine, DateTimeOffset, string?, IReadOnlyList<AssignmentCommand>> action) =>
        api.MapPost($"/rollouts/{{rolloutId}}/{verb}", async (string rolloutId, ReasonRequest? body, HubCatalog catalog, RolloutService rollouts, CancellationToken ct) =>
        {
            if (await FindAsync(rolloutId, catalog, rollouts, ct) is not { } found)
            {
                return NoRollout(rolloutId);
            }

            try
            {
                var record = await rollouts.MutateAsync(found.Region, (engine, now) =>
                {
                    if (engine.Active?.RolloutId != rolloutId)
                    {
                        throw new InvalidOperationException($"rollout {rolloutId} is finished ({found.Record.State}); nothing to {verb}");
                    }

                    var active = engine.Active;
                    return (active, action(engine, now, body?.Reason));
                }, ct);
                return Results.Ok(record);
            }
            catch (InvalidOperationException ex)
            {
                return ApiResults.Conflict(ex.Message);
            }
        }).RequireAuthorization(Policies.Operate).WithName(char.ToUpperInvariant(verb[0]) + verb[1..] + "Rollout");

    private static async Task<(string Region, RolloutRecord Record)?> FindAsync(string rolloutId, HubCatalog catalog, RolloutService rollouts, CancellationToken ct)
    {
        foreach (var r in await catalog.ListRegionsAsync(ct))
        {
            var (engine, _) = await rollouts.LoadAsync(r.Name, ct);
            if (engine.Active?.RolloutId == rolloutId)
            {
                return (r.Name, engine.Active);
            }

            foreach (var rec in engine.Finished)
            {
                if (rec.RolloutId == rolloutId)
                {
                    return (r.Name, rec);
                }
            }
        }

        return null;
    }

    private static IResult NoRollout(string id) => ApiResults.NotFound($"rollout '{id}' does not exist");

    private static RolloutSummary Summary(RolloutRecord r) => new(r.RolloutId, r.Plan.Region, r.Plan.ModelVersion, r.PreviousModel, r.State, r.CreatedAt,
        r.FinishedAt, r.AbortReason, r.Targets.Count, r.Assigned.Count, r.Running.Count);

    private static RolloutPlan ToPlan(CreateRolloutRequest b, string id)
    {
        var waves = new List<RolloutWave>();
        foreach (var w in b.Waves ?? [])
        {
            waves.Add(new RolloutWave { Edges = w.Edges, Percent = w.Percent, Interval = Seconds(w.IntervalSeconds, "wave intervalSeconds") });
        }

        var defaults = new AbortCriteria();
        var a = b.Abort;
        return new RolloutPlan
        {
            RolloutId = id,
            Region = b.Region!,
            ModelVersion = b.ModelVersion!,
            CanaryEdges = b.CanaryEdges,
            CanaryPercent = b.CanaryPercent,
            CanaryDuration = b.CanaryDurationSeconds is { } cd ? Seconds(cd, "canaryDurationSeconds") : TimeSpan.FromMinutes(10),
            Waves = waves,
            ShadowWindows = b.ShadowWindows ?? 300,
            Abort = a is null ? defaults : new AbortCriteria
            {
                MaxFailedEdges = a.MaxFailedEdges ?? defaults.MaxFailedEdges,
                MaxShadowDisagreement = a.MaxShadowDisagreement ?? defaults.MaxShadowDisagreement,
                MaxOverrideRate = a.MaxOverrideRate ?? defaults.MaxOverrideRate,
                MinOverrideSamples = defaults.MinOverrideSamples,
                SilentTimeout = a.SilentTimeoutSeconds is { } st ? Seconds(st, "silentTimeoutSeconds") : defaults.SilentTimeout,
                ActivationTimeout = a.ActivationTimeoutSeconds is { } at ? Seconds(at, "activationTimeoutSeconds") : defaults.ActivationTimeout,
            },
        };
    }

    private static TimeSpan Seconds(double s, string name) =>
        s is >= 0 and <= 30 * 86400 ? TimeSpan.FromSeconds(s) : throw new ArgumentException($"{name} must be 0-{30 * 86400} seconds (got {s})");
}
