using EdgeHub.Contracts;
using EdgeHub.Hub.Catalog;
using EdgeHub.Hub.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace EdgeHub.Hub.Api;

/// <summary>Regions and edges: list, register, move, remove, recent rejections.</summary>
internal static class FleetEndpoints
{
    public sealed record CreateRegionRequest(string? Name);

    public sealed record RegisterEdgeRequest(string? Region, bool Move = false);

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/regions", async (HubCatalog catalog, CancellationToken ct) => Results.Ok(await catalog.ListRegionsAsync(ct)))
            .WithName("ListRegions").WithSummary("Regions with their edge count and latest dataset version.");

        api.MapPost("/regions", async (CreateRegionRequest? body, HubRegions regions, CancellationToken ct) =>
        {
            if (!Ids.IsValid(body?.Name))
            {
                return ApiResults.BadRequest($"region name '{body?.Name}' is not valid: use 1-{Ids.MaxLength} characters of A-Z a-z 0-9 . _ -");
            }

            var created = await regions.AddAsync(body!.Name!, ct);
            return created ? Results.Created($"/api/v1/regions/{body.Name}", new { name = body.Name }) : ApiResults.Conflict($"region '{body.Name}' exists already");
        }).RequireAuthorization(Policies.Operate).WithName("CreateRegion").WithSummary("Adds a region and creates its dataset.");

        api.MapGet("/edges", async (string? region, HubCatalog catalog, CancellationToken ct) =>
        {
            if (region is not null && !Ids.IsValid(region))
            {
                return ApiResults.BadRequest($"region '{region}' is not a valid id");
            }

            return Results.Ok(await catalog.ListEdgesAsync(region, ct));
        }).WithName("ListEdges").WithSummary("Registered edges with their last status; ?region= filters.");

        api.MapGet("/edges/{edgeId}", async (string edgeId, HubCatalog catalog, CancellationToken ct) =>
            await catalog.GetEdgeAsync(edgeId, ct) is { } edge ? Results.Ok(edge) : ApiResults.NotFound($"edge '{edgeId}' is not registered"))
            .WithName("GetEdge");

        api.MapPut("/edges/{edgeId}", async (string edgeId, RegisterEdgeRequest? body, HubCatalog catalog, CancellationToken ct) =>
        {
            if (!Ids.IsValid(edgeId))
            {
                return ApiResults.BadRequest($"edge id '{edgeId}' is not valid: use 1-{Ids.MaxLength} characters of A-Z a-z 0-9 . _ -");
            }

            if (!Ids.IsValid(body?.Region))
            {
                return ApiResults.BadRequest("body must be {\"region\": \"<region>\"} with a valid region id");
            }

            if (!await catalog.RegionExistsAsync(body!.Region!, ct))
            {
                return ApiResults.NotFound($"region '{body.Region}' does not exist: create it first (POST /api/v1/regions)");
            }

            var outcome = await catalog.RegisterEdgeAsync(edgeId, body.Region!, "api", body.Move, ct);
            return outcome switch
            {
                RegistrationOutcome.Created => Results.Created($"/api/v1/edges/{edgeId}", await catalog.GetEdgeAsync(edgeId, ct)),
                RegistrationOutcome.Conflict => ApiResults.Conflict(
                    $"edge '{edgeId}' is registered in region '{await catalog.GetEdgeRegionAsync(edgeId, ct)}': moving an edge moves where its data lands; send \"move\": true to do it"),
                _ => Results.Ok(await catalog.GetEdgeAsync(edgeId, ct)),
            };
        }).RequireAuthorization(Policies.Operate).WithName("RegisterEdge").WithSummary("Registers an edge in a region (data residency).");

        api.MapDelete("/edges/{edgeId}", async (string edgeId, HubCatalog catalog, CancellationToken ct) =>
            await catalog.DeleteEdgeAsync(edgeId, ct) ? Results.NoContent() : ApiResults.NotFound($"edge '{edgeId}' is not registered"))
            .RequireAuthorization(Policies.Operate).WithName("DeleteEdge");

        api.MapGet("/edges/{edgeId}/rejections", async (string edgeId, int? limit, HubCatalog catalog, CancellationToken ct) =>
        {
            if (limit is < 1 or > 1000)
            {
                return ApiResults.BadRequest("limit must be 1-1000");
            }

            return Results.Ok(await catalog.ListRejectionsAsync(edgeId, limit ?? 100, ct));
        }).WithName("ListEdgeRejections").WithSummary("Deltas of this edge the hub refused, newest first, with the reason.");
    }
}
