using System.Text.Json;
using System.Threading.Channels;
using EdgeHub.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace EdgeHub.Edge.Hosting;

/// <summary>
/// Endpoints behind the clinician page (wwwroot/index.html): <c>GET /api/alerts/stream</c>, server-sent events of every
/// alert message the agent publishes (raised, updated, cleared), and <c>POST /api/labels</c>, a clinician's
/// acknowledge / confirm / reject / relabel, handed to <see cref="EdgeAgent.SubmitLabel"/>.
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
        app.MapGet("/api/alerts/stream", StreamAsync);
        app.MapPost("/api/labels", SubmitAsync);
    }

    private static async Task StreamAsync(HttpContext http, EdgeAgent agent, CancellationToken ct)
    {
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        // Published fires on the inference thread: only enqueue there; this request's loop does the writing.
        var channel = Channel.CreateBounded<AlertMessage>(new BoundedChannelOptions(StreamBuffer)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        void OnPublished(AlertMessage m) => channel.Writer.TryWrite(m);
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

    private static async Task<IResult> SubmitAsync(HttpContext http, EdgeAgent agent, CancellationToken ct)
    {
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

        if (!Known(agent, label.AlertId))
        {
            return Results.Problem(statusCode: StatusCodes.Status404NotFound,
                detail: $"alert '{label.AlertId}' is not known to this edge (it keeps the last {Alerts.AlertFeed.Capacity} alert messages)");
        }

        agent.SubmitLabel(label with { Action = action, At = label.At == default ? DateTimeOffset.UtcNow : label.At });
        return Results.Accepted(value: new { alertId = label.AlertId, action, label = label.Label });
    }

    private static bool Known(EdgeAgent agent, string alertId)
    {
        foreach (var m in agent.Alerts.History())
        {
            if (m.AlertId == alertId)
            {
                return true;
            }
        }

        return false;
    }

    private static IResult Bad(string reason) => Results.Problem(statusCode: StatusCodes.Status400BadRequest, detail: reason);
}
