using EdgeHub.Hub.Catalog;
using EdgeHub.Hub.Ingest;
using EdgeHub.Hub.Options;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeHub.Hub.Learning;

/// <summary>
/// The node-side driver of the learning loop: under a catalog lease (one node at a time across the cluster) it ticks every
/// region's rollouts and runs the retrain scheduler. A node that takes over the lease first republishes every region's
/// assignments, so retained messages match the stored state even after a broker restart.
/// </summary>
public sealed class LearningLoop(HubOptions options, HubCatalog catalog, RolloutService rollouts, RetrainScheduler retrain, HubMqttService mqtt,
    ILogger<LearningLoop> logger) : BackgroundService
{
    private const string LeaseName = "learning-loop";

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Learning.Enabled)
        {
            return;
        }

        await mqtt.Connected.WaitAsync(stoppingToken).ConfigureAwait(false);
        var tick = TimeSpan.FromSeconds(Math.Max(0.05, options.Learning.RolloutTickSeconds));
        var lease = TimeSpan.FromTicks(Math.Max(tick.Ticks * 5, TimeSpan.FromSeconds(5).Ticks));
        var holding = false;
        var nextRetrainCheck = DateTimeOffset.MinValue;
        using var timer = new PeriodicTimer(tick);
        try
        {
            do
            {
                try
                {
                    var held = await catalog.TryAcquireLeaseAsync(LeaseName, options.NodeId, lease, stoppingToken).ConfigureAwait(false);
                    if (!held)
                    {
                        holding = false;
                        continue;
                    }

                    var regions = await catalog.ListRegionsAsync(stoppingToken).ConfigureAwait(false);
                    if (!holding)
                    {
                        holding = true;
                        logger.LogInformation("node {Node} drives rollouts and retraining", options.NodeId);
                        foreach (var r in regions)
                        {
                            await rollouts.ReconcileAsync(r.Name, stoppingToken).ConfigureAwait(false);
                        }
                    }

                    foreach (var r in regions)
                    {
                        await rollouts.TickAsync(r.Name, stoppingToken).ConfigureAwait(false);
                    }

                    if (DateTimeOffset.UtcNow >= nextRetrainCheck)
                    {
                        nextRetrainCheck = DateTimeOffset.UtcNow.AddSeconds(Math.Max(0.1, options.Learning.CheckIntervalSeconds));
                        foreach (var r in regions)
                        {
                            await retrain.RunOnceAsync(r.Name, stoppingToken).ConfigureAwait(false);
                        }
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A failing tick (catalog hiccup, bad data) must not end the loop; the next tick retries.
                    logger.LogError(ex, "learning loop tick failed");
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            if (holding)
            {
                await catalog.ReleaseLeaseAsync(LeaseName, options.NodeId, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }
}
