using EdgeHub.Learning.Data;
using EdgeHub.Learning.Evaluation;
using EdgeHub.Learning.Promotion;
using EdgeHub.Learning.Registry;
using EdgeHub.Learning.Training;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeHub.Learning;

/// <summary>Settings of one region's retraining.</summary>
public sealed record RetrainOptions
{
    public TrainerOptions Trainer { get; init; } = TrainerOptions.Mlp;
    public GateOptions Gate { get; init; } = new();
    public string CreatedBy { get; init; } = "hub";
}

/// <summary>The result of one retrain: the registered model (approved or rejected), how it trained and what the gate said.</summary>
public sealed record RetrainOutcome
{
    public required RegisteredModel Model { get; init; }
    public required byte[] Onnx { get; init; }
    public required TrainingResult Training { get; init; }
    public required ClassificationMetrics Metrics { get; init; }
    public ClassificationMetrics? ParentMetrics { get; init; }
    public required GateDecision Gate { get; init; }
    public bool Promoted => Gate.Promote;
}

/// <summary>
/// One region's retrain, end to end: train (full, or differential from the parent), evaluate candidate and parent on the same fixed
/// holdout, gate, export, sign and register. The caller (the hub's scheduler) decides when and in which mode
/// (<see cref="RetrainPolicy"/>), builds the <see cref="TrainingSet"/> with SinceVersion = the parent's dataset version, and rolls
/// out approved models.
/// </summary>
public sealed class RetrainPipeline
{
    private readonly ModelRegistry _registry;
    private readonly RetrainOptions _options;
    private readonly ILogger _logger;

    public RetrainPipeline(ModelRegistry registry, RetrainOptions? options = null, ILogger<RetrainPipeline>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        _registry = registry;
        _options = options ?? new RetrainOptions();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>
    /// Trains and registers a model for <paramref name="region"/> on <paramref name="set"/>. <paramref name="parentVersion"/> is the
    /// region's current model (null for the first); a differential run requires it and requires set.SinceVersion to equal its dataset
    /// version. Training runs on the calling thread's task (CPU-bound; the caller offloads if needed).
    /// </summary>
    /// <exception cref="InvalidOperationException">The inputs cannot produce the requested model; the message says why.</exception>
    public async Task<RetrainOutcome> RunAsync(string region, TrainingSet set, TrainingMode mode, string? parentVersion,
        CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(region);
        ArgumentNullException.ThrowIfNull(set);
        RegisteredModel? parent = null;
        MlpModel? parentModel = null;
        if (parentVersion is not null)
        {
            parent = await _registry.Store.GetAsync(parentVersion, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"parent model {parentVersion} is not in the registry");
            if (parent.Region != region)
            {
                throw new InvalidOperationException($"parent model {parentVersion} belongs to region {parent.Region}, not {region}: patient data and models stay in their region");
            }

            parentModel = await _registry.LoadModelAsync(parentVersion, cancellationToken).ConfigureAwait(false);
        }

        if (mode == TrainingMode.Differential)
        {
            if (parent is null || parentModel is null)
            {
                throw new InvalidOperationException($"region {region} has no parent model; the first model must be a full retrain");
            }

            if (set.SinceVersion != parent.DatasetVersion)
            {
                throw new InvalidOperationException(
                    $"training set marks rows new since dataset version {set.SinceVersion?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "(none)"}, but parent {parent.Version} was trained up to version {parent.DatasetVersion}; rebuild the set with sinceVersion {parent.DatasetVersion}");
            }
        }

        if (set.HoldoutIndices.Length == 0)
        {
            throw new InvalidOperationException($"the holdout ({set.Holdout.Id}) of region {region} is empty at dataset version {set.DatasetVersion}; the gate cannot judge a model without it");
        }

        var training = mode == TrainingMode.Full
            ? MlpTrainer.TrainFull(set, _options.Trainer, cancellationToken)
            : MlpTrainer.TrainDifferential(set, parentModel!, _options.Trainer, cancellationToken);
        var metrics = MetricsCalculator.EvaluateHoldout(training.Model, set);
        var parentMetrics = parentModel is null ? null : MetricsCalculator.EvaluateHoldout(parentModel, set);
        var gate = PromotionGate.Evaluate(metrics, parentMetrics, _options.Gate);
        var (record, onnx) = await _registry.RegisterAsync(new ModelRegistration
        {
            Region = region,
            Training = training,
            DatasetVersion = set.DatasetVersion,
            Parent = parent,
            Metrics = metrics,
            ParentMetrics = parentMetrics,
            Gate = gate,
            HoldoutId = set.Holdout.Id,
            CreatedBy = _options.CreatedBy,
        }, cancellationToken).ConfigureAwait(false);
        if (_logger.IsEnabled(LogLevel.Information))
        {
            _logger.LogInformation("region {Region}: {Mode} retrain → {Version} on {Rows} rows in {Seconds:F1}s, macro AUROC {Auroc:F4} (parent {ParentAuroc:F4}); {Gate}",
                region, record.TrainingMode, record.Version, training.TrainRows, training.Duration.TotalSeconds, metrics.MacroAuroc,
                parentMetrics?.MacroAuroc ?? double.NaN, gate.Summary);
        }

        return new RetrainOutcome
        {
            Model = record,
            Onnx = onnx,
            Training = training,
            Metrics = metrics,
            ParentMetrics = parentMetrics,
            Gate = gate,
        };
    }
}
