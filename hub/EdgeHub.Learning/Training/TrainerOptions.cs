namespace EdgeHub.Learning.Training;

/// <summary>Full or differential (warm-started) training.</summary>
public enum TrainingMode
{
    /// <summary>From scratch on every trainable row; standardisation recomputed.</summary>
    Full,

    /// <summary>From the parent's weights and standardisation, on rows new since its dataset version plus a replay sample.</summary>
    Differential,
}

/// <summary>
/// Trainer settings. The defaults are the measured choice for <c>ecg-features-v1</c> (see RetrainBench): a 32→64→32→6 ReLU MLP
/// with Adam, mini-batches of 256, learning rate decayed linearly to 10 % over the run.
/// </summary>
public sealed record TrainerOptions
{
    /// <summary>The default MLP.</summary>
    public static TrainerOptions Mlp { get; } = new();

    /// <summary>Multinomial logistic regression (no hidden layer), same optimiser.</summary>
    public static TrainerOptions LogisticRegression { get; } = new() { HiddenLayers = [], LearningRate = 1e-2f };

    /// <summary>Hidden layer widths; empty for multinomial logistic regression.</summary>
    public IReadOnlyList<int> HiddenLayers { get; init; } = [64, 32];

    /// <summary>Passes over the training rows in a full retrain.</summary>
    public int Epochs { get; init; } = 3;

    public int BatchSize { get; init; } = 256;

    /// <summary>Adam step size at the start of a full retrain.</summary>
    public float LearningRate { get; init; } = 2e-3f;

    /// <summary>The step size decays linearly to this fraction of its start value by the last step.</summary>
    public float FinalLearningRateFraction { get; init; } = 0.1f;

    /// <summary>Decoupled weight decay (AdamW) per step, relative to the step size.</summary>
    public float WeightDecay { get; init; } = 1e-4f;

    /// <summary>Seeds weight initialisation, shuffling and replay sampling: same seed, same data → same model.</summary>
    public long Seed { get; init; } = 1;

    /// <summary>Passes over new + replay rows in a differential retrain.</summary>
    public int DifferentialEpochs { get; init; } = 4;

    /// <summary>Adam step size at the start of a differential retrain (smaller: the parent is already close).</summary>
    public float DifferentialLearningRate { get; init; } = 5e-4f;

    /// <summary>Replay rows drawn from older data per new row (guards against forgetting the old distribution).</summary>
    public double ReplayRatio { get; init; } = 1.0;

    /// <summary>At least this many replay rows when that many old rows exist (tiny deltas still see old data).</summary>
    public int MinReplayRows { get; init; } = 2_000;

    /// <summary>Throws with a clear message when a setting is out of range.</summary>
    public void Validate()
    {
        if (Epochs < 1 || DifferentialEpochs < 1)
        {
            throw new ArgumentException($"epochs must be ≥ 1 (full {Epochs}, differential {DifferentialEpochs})");
        }

        if (BatchSize < 1 || BatchSize > 65_536)
        {
            throw new ArgumentException($"batch size {BatchSize} must be within 1..65536");
        }

        if (!(LearningRate > 0) || !(DifferentialLearningRate > 0) || !(FinalLearningRateFraction is > 0 and <= 1))
        {
            throw new ArgumentException("learning rates must be > 0 and the final fraction within (0, 1]");
        }

        if (WeightDecay < 0 || ReplayRatio < 0 || MinReplayRows < 0)
        {
            throw new ArgumentException("weight decay, replay ratio and minimum replay rows must not be negative");
        }

        foreach (var h in HiddenLayers)
        {
            if (h < 1 || h > 4096)
            {
                throw new ArgumentException($"hidden layer width {h} must be within 1..4096");
            }
        }
    }
}

/// <summary>What a training run produced and what it cost.</summary>
public sealed record TrainingResult
{
    public required MlpModel Model { get; init; }
    public required TrainingMode Mode { get; init; }
    /// <summary>Distinct rows trained on (new + replay for a differential run).</summary>
    public int TrainRows { get; init; }
    public int NewRows { get; init; }
    public int ReplayRows { get; init; }
    public int Epochs { get; init; }
    /// <summary>Mean cross-entropy over the last epoch.</summary>
    public double FinalLoss { get; init; }
    public TimeSpan Duration { get; init; }
    public long Seed { get; init; }
}
