using System.Text.Json;
using EdgeHub.Contracts;
using EdgeHub.Hub.Catalog;
using EdgeHub.Hub.Ingest;
using EdgeHub.Hub.Observability;
using EdgeHub.Hub.Options;
using EdgeHub.Learning.Registry;
using EdgeHub.Learning.Rollouts;
using Microsoft.Extensions.Logging;

namespace EdgeHub.Hub.Learning;

/// <summary>
/// Runs the regional <see cref="RolloutEngine"/>s of the learning library against the catalog: each operation loads the
/// region's snapshot, applies the change, stores it with an optimistic revision check (so API calls on any node and the
/// ticking node never lose each other's changes), then publishes the resulting assignments as retained MQTT messages.
/// </summary>
public sealed class RolloutService(HubOptions options, HubCatalog catalog, IModelRegistryStore registry, HubMqttService mqtt, HubMetrics metrics,
    ILogger<RolloutService> logger)
{
    private const int MaxAttempts = 50;
    private const int InlineModelLimit = 512 * 1024;

    /// <summary>Applies <paramref name="operation"/> to the region's engine and publishes its commands; returns the operation's result.</summary>
    public async Task<T> MutateAsync<T>(string region, Func<RolloutEngine, DateTimeOffset, (T Result, IReadOnlyList<AssignmentCommand> Commands)> operation,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(operation);
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var (engine, revision) = await LoadAsync(region, ct).ConfigureAwait(false);
            var now = DateTimeOffset.UtcNow;
            var before = engine.Active?.State;
            var (result, commands) = operation(engine, now);
            if (!await catalog.SaveRolloutStateAsync(region, engine.Snapshot(), revision, ct).ConfigureAwait(false))
            {
                continue;
            }

            await AfterSaveAsync(engine, before, ct).ConfigureAwait(false);
            await PublishAsync(commands, ct).ConfigureAwait(false);
            return result;
        }

        throw new InvalidOperationException($"the rollout state of region {region} kept changing under this operation; try again");
    }

    /// <summary>The region's engine as stored (new when none), with every registered edge of the region known to it.</summary>
    public async Task<(RolloutEngine Engine, long Revision)> LoadAsync(string region, CancellationToken ct)
    {
        var (snapshot, revision) = await catalog.GetRolloutStateAsync(region, ct).ConfigureAwait(false);
        var now = DateTimeOffset.UtcNow;
        var engine = snapshot is null
            ? new RolloutEngine(region, await catalog.GetRegionModelAsync(region, ct).ConfigureAwait(false))
            : RolloutEngine.Restore(snapshot);
        foreach (var e in await catalog.ListEdgesAsync(region, ct).ConfigureAwait(false))
        {
            engine.RegisterEdge(e.EdgeId, e.LastSeen ?? now);
        }

        return (engine, revision);
    }

    /// <summary>One tick of a region: observations from the catalog's edge status, then the engine's decisions.</summary>
    public async Task TickAsync(string region, CancellationToken ct)
    {
        var observations = new List<EdgeObservation>();
        foreach (var e in await catalog.ListEdgesAsync(region, ct).ConfigureAwait(false))
        {
            // The hub's receipt time, not the edge's clock, says when the edge was last heard of: silence is judged on one clock.
            if (e.LastSeen is not { } seen)
            {
                continue;
            }

            observations.Add(e.LastStatus is { } status
                ? EdgeObservation.FromStatus(status, seen)
                : new EdgeObservation
                {
                    EdgeId = e.EdgeId, At = seen, Online = e.Online, ModelVersion = e.ModelVersion, CandidateVersion = e.CandidateVersion,
                    ShadowAgreement = e.ShadowAgreement, ModelError = e.LastModelError, OverrideRate = e.OverrideRate,
                });
        }

        await MutateAsync(region, (engine, now) => (0, engine.Tick(now, observations)), ct).ConfigureAwait(false);
    }

    /// <summary>Publishes every assignment the region's state implies (after a broker or hub restart).</summary>
    public async Task ReconcileAsync(string region, CancellationToken ct)
    {
        var (engine, _) = await LoadAsync(region, ct).ConfigureAwait(false);
        await PublishAsync(engine.Reconcile(), ct).ConfigureAwait(false);
    }

    /// <summary>Publishes assignments: the signed assignment of the model, or an empty retained message to clear one.</summary>
    public async Task PublishAsync(IReadOnlyList<AssignmentCommand> commands, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(commands);
        foreach (var cmd in commands)
        {
            byte[] payload = [];
            if (cmd.ModelVersion is { } version)
            {
                var model = await registry.GetAsync(version, ct).ConfigureAwait(false);
                if (model is null)
                {
                    logger.LogError("assignment of unknown model {Version} to {Topic} not published", version, cmd.Topic);
                    continue;
                }

                string? inline = null;
                if (model.SizeBytes <= InlineModelLimit && await registry.GetOnnxAsync(version, ct).ConfigureAwait(false) is { } bytes)
                {
                    inline = Convert.ToBase64String(bytes);
                }

                var url = options.Api.PublicUrl.Length > 0 ? $"{options.Api.PublicUrl.TrimEnd('/')}/api/v1/models/{version}/onnx" : null;
                payload = JsonSerializer.SerializeToUtf8Bytes(cmd.ToAssignment(model, url, DateTimeOffset.UtcNow, inline), ContractsJson.Default.ModelAssignment);
            }

            await mqtt.PublishRetainedAsync(cmd.Topic, payload, ct).ConfigureAwait(false);
            metrics.Assignment(cmd.EdgeId is null ? "region" : "edge");
            logger.LogInformation("assignment {Topic}: {Model} ({Reason})", cmd.Topic, cmd.ModelVersion ?? "(cleared)", cmd.Reason);
        }
    }

    /// <summary>Keeps the catalog's region model and model statuses in step with the engine.</summary>
    private async Task AfterSaveAsync(RolloutEngine engine, RolloutState? before, CancellationToken ct)
    {
        if (engine.LastGoodModel is { } good && await catalog.GetRegionModelAsync(engine.Region, ct).ConfigureAwait(false) != good)
        {
            await catalog.SetRegionModelAsync(engine.Region, good, ct).ConfigureAwait(false);
        }

        if (before is not null && engine.Active is null && engine.Finished.Count > 0)
        {
            var last = engine.Finished[^1];
            if (last.State == RolloutState.RolledBack && last.AbortReason?.StartsWith("automatic", StringComparison.Ordinal) == true)
            {
                await registry.SetStatusAsync(last.Plan.ModelVersion, ModelStatus.Rejected, ct).ConfigureAwait(false);
            }

            logger.LogInformation("rollout {Id} of {Model} in {Region} finished: {State} {Reason}", last.RolloutId, last.Plan.ModelVersion,
                engine.Region, last.State, last.AbortReason);
        }
    }
}
