using System.Text.Json;
using System.Threading.Channels;
using EdgeHub.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EdgeHub.Edge.Hosting;

/// <summary>
/// Endpoints behind the clinician page (wwwroot/index.html), all behind a clinician token (<see cref="ClinicianAccess"/>):
/// <c>POST /api/clinician/session</c> (Bearer token in, HttpOnly sign-in cookie out) and <c>DELETE</c> (sign out),
/// <c>GET /api/alerts</c> (active alerts), <c>GET /api/alerts/stream</c>, server-sent events of every alert message the
/// agent publishes (raised, updated, cleared), and <c>POST /api/labels</c>, a clinician's acknowledge / confirm / reject /
/// relabel, handed to <see cref="EdgeAgent.SubmitLabel"/> with the token's name as the labeller. Alerts and labels are
/// limited to the token's sites (403 for another site's alert or <c>?site=</c>).
/// </summary>
public static class ClinicianEndpoints
{
    /// <summary>Alert messages buffered per slow client before the oldest are dropped (the page reloads /api/alerts on reconnect).</summary>
    public const int StreamBuffer = 256;

    private static readonly string[] Actions = ["acknowledge", "confirm", "reject", "relabel"];
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    /// <summary>Maps the endpoints.</summary>
    public static void Map(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var access = new ClinicianAccess(app.Services.GetRequiredService<EdgeOptions>().Clinician);
        var audit = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("EdgeHub.Edge.Clinician");
        if (access.TokenCount == 0)
        {
            audit.LogWarning("the clinician page and its API refuse everyone: Edge:Clinician:Tokens is empty (add name, token and sites per clinician)");
        }

        app.MapPost("/api/clinician/session", (HttpContext http) => SignIn(http, access));
        app.MapDelete("/api/clinician/session", SignOut);
        app.MapGet("/api/alerts", (HttpContext http, EdgeAgent agent) => Active(http, agent, access));
        app.MapGet("/api/alerts/stream", (HttpContext http, EdgeAgent agent, CancellationToken ct) => StreamAsync(http, agent, access, ct));
        app.MapPost("/api/labels", (HttpContext http, EdgeAgent agent, CancellationToken ct) => SubmitAsync(http, agent, access, audit, ct));
    }

    private static IResult SignIn(HttpContext http, ClinicianAccess access)
    {
        // Only the header is accepted here: a sign-in must present the token itself, not ride on an earlier cookie.
        var bearer = ClinicianAccess.Bearer(http);
        if (bearer is null)
        {
            return ClinicianAccess.Unauthorized("sign-in needs Authorization: Bearer <token> (the page sends the #token=… of its link)");
        }

        if (access.Authenticate(http, out var failure) is not { } holder)
        {
            return failure!;
        }

        http.Response.Cookies.Append(ClinicianAccess.CookieName, bearer, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = http.Request.IsHttps,
            Path = "/api/",
            MaxAge = access.SessionLifetime,
        });
        return Results.Ok(new SessionInfo(holder.Name, [.. holder.Sites]));
    }

    private static IResult SignOut(HttpContext http)
    {
        http.Response.Cookies.Delete(ClinicianAccess.CookieName, new CookieOptions { Path = "/api/" });
        return Results.NoContent();
    }

    private static IResult Active(HttpContext http, EdgeAgent agent, ClinicianAccess access)
    {
        if (access.Authenticate(http, out var failure) is not { } holder)
        {
            return failure!;
        }

        var active = agent.Alerts.Active();
        var parts = new List<string>(active.Length);
        foreach (var alert in active)
        {
            if (holder.Allows(alert.SiteId))
            {
                parts.Add(JsonSerializer.Serialize(alert, ContractsJson.Default.AlertMessage));
            }
        }

        return Results.Text("[" + string.Join(",", parts) + "]", "application/json");
    }

    private static async Task StreamAsync(HttpContext http, EdgeAgent agent, ClinicianAccess access, CancellationToken ct)
    {
        if (access.Authenticate(http, out var failure) is not { } holder)
        {
            await failure!.ExecuteAsync(http);
            return;
        }

        string? site = http.Request.Query["site"];
        if (!string.IsNullOrEmpty(site) && !holder.Allows(site))
        {
            await ClinicianAccess.Forbidden(holder, site).ExecuteAsync(http);
            return;
        }

        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        // Published fires on the inference thread: only enqueue there; this request's loop does the writing.
        var channel = Channel.CreateBounded<AlertMessage>(new BoundedChannelOptions(StreamBuffer)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        void OnPublished(AlertMessage m)
        {
            if (holder.Allows(m.SiteId) && (string.IsNullOrEmpty(site) || m.SiteId == site))
            {
                channel.Writer.TryWrite(m);
            }
        }

        agent.Alerts.Published += OnPublished;
        try
        {
            // A comment line first so the client sees the stream open at once (SSE: lines starting with ':' are ignored).
            await http.Response.WriteAsync(": alerts\n\n", ct);
            await http.Response.Body.FlushAsync(ct);
            while (!ct.IsCancellationRequested)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
                wait.CancelAfter(KeepAlive);
                bool ready;
                try
                {
                    ready = await channel.Reader.WaitToReadAsync(wait.Token);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    // Idle: a keep-alive comment stops proxies and tablets' network stacks from closing the stream.
                    await http.Response.WriteAsync(": keep-alive\n\n", ct);
                    await http.Response.Body.FlushAsync(ct);
                    continue;
                }

                if (!ready)
                {
                    break;
                }

                while (channel.Reader.TryRead(out var message))
                {
                    var json = JsonSerializer.Serialize(message, ContractsJson.Default.AlertMessage);
                    await http.Response.WriteAsync("event: alert\ndata: " + json + "\n\n", ct);
                }

                await http.Response.Body.FlushAsync(ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The page went away.
        }
        finally
        {
            agent.Alerts.Published -= OnPublished;
        }
    }

    private static async Task<IResult> SubmitAsync(HttpContext http, EdgeAgent agent, ClinicianAccess access, ILogger audit,
        CancellationToken ct)
    {
        if (access.Authenticate(http, out var failure) is not { } holder)
        {
            return failure!;
        }

        LabelMessage? label;
        try
        {
            label = await JsonSerializer.DeserializeAsync(http.Request.Body, ContractsJson.Default.LabelMessage, ct);
        }
        catch (JsonException ex)
        {
            return Bad($"body is not a label: {ex.Message}. Send {{\"alertId\": \"…\", \"action\": \"confirm\"|\"reject\"|\"relabel\"|\"acknowledge\", \"label\": \"<class for relabel>\"}}");
        }

        if (label is null || string.IsNullOrWhiteSpace(label.AlertId))
        {
            return Bad("alertId is missing: a label answers one alert");
        }

        var action = label.Action?.ToLowerInvariant();
        if (action is null || Array.IndexOf(Actions, action) < 0)
        {
            return Bad($"action '{label.Action}' is not one of {string.Join(", ", Actions)}");
        }

        if (action == "relabel" && !RhythmClasses.TryParse(label.Label, out _))
        {
            return Bad($"relabel needs a class: '{label.Label}' is not one of {string.Join(", ", RhythmClasses.Names)}");
        }

        var site = SiteOf(agent, label.AlertId);
        if (site is null)
        {
            return Results.Problem(statusCode: StatusCodes.Status404NotFound,
                detail: $"alert '{label.AlertId}' is not known to this edge (it keeps the last {Alerts.AlertFeed.Capacity} alert messages)");
        }

        if (!holder.Allows(site))
        {
            return ClinicianAccess.Forbidden(holder, site);
        }

        // The labeller is who the token belongs to, never what the body claims: labels feed retraining and must be traceable.
        agent.SubmitLabel(label with { Action = action, Clinician = holder.Name, At = label.At == default ? DateTimeOffset.UtcNow : label.At });
        audit.LogInformation("label {Action} {Label} on alert {AlertId} (site {Site}) by clinician {Clinician}", action, label.Label, label.AlertId, site, holder.Name);
        return Results.Accepted(value: new { alertId = label.AlertId, action, label = label.Label, clinician = holder.Name });
    }

    private static string? SiteOf(EdgeAgent agent, string alertId)
    {
        foreach (var m in agent.Alerts.History())
        {
            if (m.AlertId == alertId)
            {
                return m.SiteId;
            }
        }

        return null;
    }

    private sealed record SessionInfo(string Name, string[] Sites);

    private static IResult Bad(string reason) => Results.Problem(statusCode: StatusCodes.Status400BadRequest, detail: reason);
}
