using EdgeHub.Datasets;
using EdgeHub.Hub.Catalog;
using EdgeHub.Hub.Observability;
using EdgeHub.Hub.Options;
using EdgeHub.Learning.Data;
using EdgeHub.Learning.Evaluation;
using EdgeHub.Learning.Promotion;
using EdgeHub.Learning.Registry;
using EdgeHub.Learning.Training;
using Microsoft.Extensions.Logging;

namespace EdgeHub.Hub.Learning;

/// <summary>What one retrain did.</summary>
public sealed record RetrainOutcome(string Region, string Decision, string? ModelVersion, string? Status, string? Gate);

/// <summary>
/// The retrain policy applied to a region: when enough new labelled rows arrived (or an operator asked), train full or
/// differentially from the region's newest approved model on its dataset, evaluate on the fixed holdout against the parent,
/// gate, sign and register. A region's first approved model becomes its model at once; later models go out through rollouts.
/// </summary>
public sealed class RetrainScheduler(HubOptions options, HubCatalog catalog, DatasetStore store, ModelRegistry registry, RolloutService rollouts,
    HubMetrics metrics, ILogger<RetrainScheduler> logger)
{
    // Dataset version of each region's last gate-rejected candidate: the next automatic attempt waits for the policy's
    // threshold of new labelled rows after it, instead of retraining the same data on every check.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _rejectedAt = new(StringComparer.Ordinal);

    /// <summary>Checks the region once; trains when the policy says so. Returns what happened.</summary>
    public async Task<RetrainOutcome> RunOnceAsync(string region, CancellationToken ct)
    {
        var (requested, requestedMode) = await catalog.TakeRetrainRequestAsync(region, ct).ConfigureAwait(false);
        var parent = await registry.LatestApprovedAsync(region, ct).ConfigureAwait(false);
        var countFrom = parent?.DatasetVersion ?? 0;
        if (!requested && _rejectedAt.TryGetValue(region, out var rejectedAt) && rejectedAt > countFrom)
        {
            countFrom = rejectedAt;
        }

        var (_, newLabelled, _) = await catalog.SumSinceAsync(region, countFrom, ct).ConfigureAwait(false);
        var holdout = HoldoutDefinition.Default;
        var decision = RetrainPolicy.Decide(new RetrainState
        {
            HasParent = parent is not null,
            NewLabelledRows = newLabelled,
            DifferentialGenerationsSinceFull = (int)(parent?.ChainLength ?? 0),
            CommandRequested = requested,
            RequestedMode = requestedMode switch { "full" => TrainingMode.Full, "differential" => TrainingMode.Differential, _ => null },
            ParentIncompatible = parent is not null && (parent.FeatureSchemaId != Contracts.FeatureSchema.Id || (parent.HoldoutId is { } h && h != holdout.Id)),
        }, new RetrainPolicyOptions { NewLabelledRowsThreshold = options.Learning.RetrainMinNewRows, FullRetrainEvery = options.Learning.FullRetrainEvery });
        if (!decision.Retrain)
        {
            return new RetrainOutcome(region, decision.Reason, null, null, null);
        }

        logger.LogInformation("region {Region}: retraining ({Reason})", region, decision.Reason);
        var table = store.Open(region);
        var version = table.LatestVersion;
        var builder = new TrainingSetBuilder(holdout);
        var since = parent?.DatasetVersion;
        if (since is { } s && s < version)
        {
            builder.Add(table.ReadRows(s), addedSinceParent: false);
            builder.Add(table.ReadRows(version, s), addedSinceParent: true);
        }
        else
        {
            builder.Add(table.ReadRows(version), addedSinceParent: true);
        }

        var set = builder.Build(version, decision.Mode == TrainingMode.Differential ? since : null);
        if (set.TrainIndices.Length == 0 || set.HoldoutIndices.Length == 0)
        {
            metrics.Retrain(decision.Mode.ToString(), "no-data");
            return new RetrainOutcome(region, $"{decision.Reason}; but the dataset has {set.TrainIndices.Length} training and {set.HoldoutIndices.Length} holdout labelled windows: wait for more labels", null, null, null);
        }

        var trainer = TrainerOptions.Mlp with { Seed = options.Learning.Seed };
        MlpModel? parentModel = parent is null ? null : await registry.LoadModelAsync(parent.Version, ct).ConfigureAwait(false);
        var result = await Task.Run(() => decision.Mode == TrainingMode.Differential && parentModel is not null
            ? MlpTrainer.TrainDifferential(set, parentModel, trainer, ct)
            : MlpTrainer.TrainFull(set, trainer, ct), ct).ConfigureAwait(false);
        var candidateMetrics = MetricsCalculator.EvaluateHoldout(result.Model, set);
        var parentMetrics = parentModel is null ? null : MetricsCalculator.EvaluateHoldout(parentModel, set);
        var gate = PromotionGate.Evaluate(candidateMetrics, parentMetrics, new GateOptions { CriticalSensitivityTolerance = options.Learning.SensitivityTolerance });
        var (model, _) = await registry.RegisterAsync(new ModelRegistration
        {
            Region = region,
            Training = result,
            DatasetVersion = version,
            Parent = parent,
            Metrics = candidateMetrics,
            ParentMetrics = parentMetrics,
            Gate = gate,
            HoldoutId = holdout.Id,
            CreatedBy = options.NodeId,
        }, ct).ConfigureAwait(false);
        metrics.Retrain(model.TrainingMode, model.Status);
        if (model.Status == ModelStatus.Approved)
        {
            _rejectedAt.TryRemove(region, out _);
        }
        else
        {
            _rejectedAt[region] = version;
        }

        logger.LogInformation("region {Region}: registered {Version} ({Mode}, {Rows} rows, {Ms} ms): {Status}; gate: {Gate}",
            region, model.Version, model.TrainingMode, model.TrainedRows, model.DurationMs, model.Status, gate.Summary);

        if (model.Status == ModelStatus.Approved && parent is null)
        {
            // The region's first model: nothing to roll out against, it becomes the region's model directly.
            await rollouts.MutateAsync(region, (engine, _) =>
            {
                if (engine.LastGoodModel is not null)
                {
                    return (0, []);
                }

                engine.Snapshot().LastGoodModel = model.Version;
                return (0, engine.Reconcile());
            }, ct).ConfigureAwait(false);
        }

        return new RetrainOutcome(region, decision.Reason, model.Version, model.Status, gate.Summary);
    }
}
