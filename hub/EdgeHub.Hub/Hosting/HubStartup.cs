using EdgeHub.Hub.Catalog;
using EdgeHub.Hub.Observability;
using EdgeHub.Hub.Options;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeHub.Hub.Hosting;

/// <summary>
/// Runs first at start-up: applies catalog migrations, creates the configured regions (catalog row + dataset), registers
/// the configured edges, and reconciles the catalog's commit log with the datasets (a node killed between a commit and its
/// catalog row leaves a gap that the next start fills). Every step is idempotent, so several nodes may start together.
/// </summary>
public sealed class HubStartup(HubOptions options, HubCatalog catalog, HubRegions regions, DatasetReconciler reconciler, HubReadiness readiness,
    PrometheusExporter exporter, ILogger<HubStartup> logger) : IHostedService
{
    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // The exporter must listen before the first measurement (it is resolved here, not lazily at the first scrape).
        ArgumentNullException.ThrowIfNull(exporter);
        await catalog.MigrateAsync(cancellationToken).ConfigureAwait(false);
        foreach (var region in options.Regions)
        {
            await regions.AddAsync(region, cancellationToken).ConfigureAwait(false);
        }

        foreach (var (edge, region) in options.Edges)
        {
            await regions.AddAsync(region, cancellationToken).ConfigureAwait(false);
            var outcome = await catalog.RegisterEdgeAsync(edge, region, "config", allowMove: true, cancellationToken).ConfigureAwait(false);
            if (outcome == RegistrationOutcome.Moved)
            {
                logger.LogWarning("edge {Edge} moved to region {Region} by the settings file", edge, region);
            }
        }

        await reconciler.ReconcileAllAsync(cancellationToken).ConfigureAwait(false);
        readiness.CatalogReady = true;
        logger.LogInformation("hub node {Node}: catalog {Catalog}, data {Data}, regions {Regions}",
            options.NodeId, catalog.Db.Describe(), options.DataRoot, string.Join(",", options.Regions));
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
