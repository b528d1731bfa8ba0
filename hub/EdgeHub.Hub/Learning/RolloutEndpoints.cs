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
        double? ActivationTimeoutSeconds, int? MinShadowWindows, int? MinOverrideSamples);

    public sealed record CreateRolloutRequest(string? Region, string? ModelVersion, IReadOnlyList<string>? CanaryEdges, double? CanaryPercent,
        double? CanaryDurationSeconds, IReadOnlyList<WaveRequest>? Waves, int? ShadowWindows, AbortRequest? Abort, string? Actor);

    public sealed record ReasonRequest(string? Reason, string? Actor);

    public sealed record PinRequest(string? ModelVersion, string? Reason, string? Actor);

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

        api.MapGet("/regions/{region}/rollout-log", async (string region, HubCatalog catalog, RolloutService rollouts, CancellationToken ct) =>
        {
            if (!Ids.IsValid(region) || !await catalog.RegionExistsAsync(region, ct))
            {
                return ApiResults.NotFound($"region '{region}' does not exist");
            }

            var (engine, _) = await rollouts.LoadAsync(region, ct);
            return Results.Ok(engine.Log);
        }).WithName("GetRolloutLog").WithSummary("The region's operator log: pins, unpins, direct model switches and every rollout event, with actor and reason.");

        api.MapPost("/rollouts", async (CreateRolloutRequest? body, HttpContext http, RolloutService rollouts, IModelRegistryStore registry, CancellationToken ct) =>
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
                var record = await rollouts.MutateAsync(body.Region!, (engine, now) => (engine.Create(plan, now, ActorOf(http, body.Actor)), (IReadOnlyList<AssignmentCommand>)[]), ct);
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

        // Operator actions: each names its actor (the token's role, plus the "actor" the caller states) and reason in the
        // rollout's history, and is refused with 409 and the engine's explanation when the rollout's state does not allow it.
        MapAction(api, "pause", (engine, now, actor, reason) => { engine.Pause(now, actor, reason); return []; });
        MapAction(api, "resume", (engine, now, actor, reason) => { engine.Resume(now, actor, reason); return []; });
        MapAction(api, "promote", (engine, now, actor, reason) => engine.Promote(now, actor, reason));
        MapAction(api, "rollback", (engine, now, actor, reason) => engine.Abort(now, actor, reason));
        MapAction(api, "abort", (engine, now, actor, reason) => engine.Abort(now, actor, reason));

        api.MapPut("/edges/{edgeId}/pin", async (string edgeId, PinRequest? body, HttpContext http, HubCatalog catalog, RolloutService rollouts, IModelRegistryStore registry, CancellationToken ct) =>
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

            await rollouts.MutateAsync(edge.Region, (engine, now) => (0, engine.Pin(edgeId, model.Version, now, ActorOf(http, body.Actor), body.Reason)), ct);
            await catalog.SetPinAsync(edgeId, model.Version, ct);
            return Results.Ok(await catalog.GetEdgeAsync(edgeId, ct));
        }).RequireAuthorization(Policies.Operate).WithName("PinEdge").WithSummary("Pins an edge to a model; rollouts leave it alone.");

        api.MapDelete("/edges/{edgeId}/pin", async (string edgeId, string? reason, string? actor, HttpContext http, HubCatalog catalog, RolloutService rollouts,
            CancellationToken ct) =>
        {
            if (await catalog.GetEdgeAsync(edgeId, ct) is not { } edge)
            {
                return ApiResults.NotFound($"edge '{edgeId}' is not registered");
            }

            try
            {
                await rollouts.MutateAsync(edge.Region, (engine, now) => (0, engine.Unpin(edgeId, now, ActorOf(http, actor), reason)), ct);
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

    private static void MapAction(RouteGroupBuilder api, string verb, Func<RolloutEngine, DateTimeOffset, string, string?, IReadOnlyList<AssignmentCommand>> action) =>
        api.MapPost($"/rollouts/{{rolloutId}}/{verb}", async (string rolloutId, ReasonRequest? body, HttpContext http, HubCatalog catalog, RolloutService rollouts,
            CancellationToken ct) =>
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
                    return (active, action(engine, now, ActorOf(http, body?.Actor), body?.Reason));
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

    /// <summary>
    /// Who acts: the authenticated token's identity (its role: tokens are per role), with the name the caller states in
    /// "actor" (a person or tool, for the history) when given.
    /// </summary>
    private static string ActorOf(HttpContext http, string? stated)
    {
        var token = http.User.Identity?.Name ?? "anonymous";
        if (string.IsNullOrWhiteSpace(stated))
        {
            return token;
        }

        var name = stated.Trim();
        return (name.Length > 64 ? name[..64] : name) + " (" + token + " token)";
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
                MaxFailedEdges = NotNegative(a.MaxFailedEdges, "maxFailedEdges") ?? defaults.MaxFailedEdges,
                MaxShadowDisagreement = a.MaxShadowDisagreement ?? defaults.MaxShadowDisagreement,
                MaxOverrideRate = a.MaxOverrideRate ?? defaults.MaxOverrideRate,
                MinOverrideSamples = NotNegative(a.MinOverrideSamples, "minOverrideSamples") ?? defaults.MinOverrideSamples,
                MinShadowWindows = NotNegative(a.MinShadowWindows, "minShadowWindows") ?? defaults.MinShadowWindows,
                SilentTimeout = a.SilentTimeoutSeconds is { } st ? Seconds(st, "silentTimeoutSeconds") : defaults.SilentTimeout,
                ActivationTimeout = a.ActivationTimeoutSeconds is { } at ? Seconds(at, "activationTimeoutSeconds") : defaults.ActivationTimeout,
            },
        };
    }

    private static int? NotNegative(int? value, string name) =>
        value is < 0 ? throw new ArgumentException($"{name} must not be negative (got {value})") : value;

    private static TimeSpan Seconds(double s, string name) =>
        s is >= 0 and <= 30 * 86400 ? TimeSpan.FromSeconds(s) : throw new ArgumentException($"{name} must be 0-{30 * 86400} seconds (got {s})");
}
