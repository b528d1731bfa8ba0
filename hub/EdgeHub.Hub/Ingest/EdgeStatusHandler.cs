using System.Text.Json;
using EdgeHub.Contracts;
using EdgeHub.Hub.Catalog;
using EdgeHub.Hub.Observability;
using EdgeHub.Hub.Options;
using Microsoft.Extensions.Logging;

namespace EdgeHub.Hub.Ingest;

/// <summary>
/// Handles <see cref="Topics.Status"/> messages: stores the edge's status in the catalog and, when
/// <see cref="HubOptions.AutoRegisterEdges"/> is on, registers an unknown edge in the (existing) region it names.
/// A registered edge is never moved by its own status message: residency is the hub's decision.
/// </summary>
public sealed class EdgeStatusHandler(HubOptions options, HubCatalog catalog, HubMetrics metrics, ILogger<EdgeStatusHandler> logger)
{
    /// <summary>Raised after a status was stored (the rollout engine observes edges through it).</summary>
    public event Action<EdgeStatus>? StatusStored;

    /// <summary>Parses and stores one status payload received on <paramref name="topic"/>; false when it was refused.</summary>
    public async ValueTask<bool> HandleAsync(string topic, ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        metrics.StatusMessage();
        if (!Topics.TryGetId(topic, "edges", 1, out var topicEdge))
        {
            return false;
        }

        EdgeStatus? status;
        try
        {
            status = JsonSerializer.Deserialize(payload.Span, ContractsJson.Default.EdgeStatus);
        }
        catch (JsonException ex)
        {
            logger.LogWarning("status of edge {Edge} is not a valid EdgeStatus JSON document: {Message}", topicEdge, ex.Message);
            return false;
        }

        if (status is null || status.EdgeId != topicEdge)
        {
            logger.LogWarning("status on {Topic} names edge '{Named}': an edge may only report its own status", topic, status?.EdgeId);
            return false;
        }

        var now = DateTimeOffset.UtcNow;
        if (!await catalog.UpdateEdgeStatusAsync(status, now, ct).ConfigureAwait(false))
        {
            if (!options.AutoRegisterEdges || !Ids.IsValid(status.Region))
            {
                logger.LogInformation("status from unregistered edge {Edge} (region {Region}) ignored: register it or enable AutoRegisterEdges",
                    status.EdgeId, status.Region);
                return false;
            }

            if (!await catalog.RegionExistsAsync(status.Region, ct).ConfigureAwait(false))
            {
                logger.LogWarning("edge {Edge} asks for unknown region {Region}: not auto-registered; create the region first", status.EdgeId, status.Region);
                return false;
            }

            var outcome = await catalog.RegisterEdgeAsync(status.EdgeId, status.Region, "auto", allowMove: false, ct).ConfigureAwait(false);
            logger.LogInformation("edge {Edge} auto-registered in region {Region}: {Outcome}", status.EdgeId, status.Region, outcome);
            await catalog.UpdateEdgeStatusAsync(status, now, ct).ConfigureAwait(false);
        }

        StatusStored?.Invoke(status);
        return true;
    }
}
