using System.Reflection;
using System.Text.Json;
using EdgeHub.Hub.Api;
using EdgeHub.Hub.Catalog;
using EdgeHub.Hub.Hosting;
using EdgeHub.Hub.Learning;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace EdgeHub.Hub.Dashboard;

/// <summary>
/// The operator dashboard: static files embedded in this assembly (no CDN: hospitals run offline) served anonymously at
/// <c>/</c> and <c>/dashboard/*</c> (the page holds no data; it asks for a token), plus <c>GET /api/v1/events</c>, a
/// server-sent-event stream of <see cref="DashboardSnapshot"/> JSON every second for viewers and operators.
/// </summary>
public static class DashboardEndpoints
{
    private const string ResourcePrefix = "EdgeHub.Hub.Dashboard.";
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private static readonly (string Path, string Resource, string ContentType)[] Assets =
    [
        ("/", "index.html", "text/html; charset=utf-8"),
        ("/dashboard/app.js", "app.js", "text/javascript; charset=utf-8"),
        ("/dashboard/charts.js", "charts.js", "text/javascript; charset=utf-8"),
        ("/dashboard/app.css", "app.css", "text/css; charset=utf-8"),
    ];

    /// <summary>Maps the dashboard files on <paramref name="app"/> and the event stream on the <paramref name="api"/> group.</summary>
    public static void Map(WebApplication app, RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(api);
        foreach (var (path, resource, contentType) in Assets)
        {
            var bytes = Load(resource);
            app.MapGet(path, () => Results.Bytes(bytes, contentType)).AllowAnonymous().ExcludeFromDescription();
        }

        api.MapGet("/events", StreamAsync).RequireAuthorization(Policies.Read).WithName("DashboardEvents")
            .WithSummary("Server-sent events: a JSON snapshot of regions, edges, datasets, models and rollouts every second.");
    }

    private static byte[] Load(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(ResourcePrefix + name)
            ?? throw new InvalidOperationException($"dashboard asset '{name}' is not embedded: check the EmbeddedResource item in EdgeHub.Hub.csproj");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static async Task StreamAsync(HttpContext http, HubCatalog catalog, HubRegions regions, RolloutService rollouts, IOptions<JsonOptions> json,
        CancellationToken ct)
    {
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        // Tell reverse proxies (nginx) not to buffer the stream.
        http.Response.Headers["X-Accel-Buffering"] = "no";
        using var timer = new PeriodicTimer(Interval);
        try
        {
            do
            {
                var snapshot = await DashboardSnapshot.TakeAsync(catalog, regions, rollouts, ct);
                var payload = JsonSerializer.Serialize(snapshot, json.Value.SerializerOptions);
                // SSE framing (HTML Living Standard §9.2): "event:", "data:" lines, blank line ends the event. JSON has no raw newlines.
                await http.Response.WriteAsync("event: snapshot\ndata: " + payload + "\n\n", ct);
                await http.Response.Body.FlushAsync(ct);
            }
            while (await timer.WaitForNextTickAsync(ct));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Client went away: normal end of a stream.
        }
    }
}
