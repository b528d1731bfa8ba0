using System.Diagnostics;
using EdgeHub.Contracts;
using EdgeHub.Learning.Data;

namespace EdgeHub.Learning.Training;

/// <summary>
/// Trains <see cref="MlpModel"/>s with mini-batch Adam on softmax cross-entropy, single-threaded and deterministic for a seed.
/// Full training computes the standardisation on the training rows and starts from He/Glorot-initialised weights; differential
/// training starts from a copy of the parent (weights and standardisation, so the input scaling edges see does not move) and
/// trains on the rows new since the parent's dataset version plus a replay sample of older rows.
/// </summary>
public static class MlpTrainer
{
    /// <summary>Trains from scratch on every non-holdout row of <paramref name="set"/>.</summary>
    /// <exception cref="InvalidOperationException">The set has no trainable rows.</exception>
    public static TrainingResult TrainFull(TrainingSet set, TrainerOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(set);
        options ??= TrainerOptions.Mlp;
        options.Validate();
        var rows = set.TrainIndices;
        if (rows.Length == 0)
        {
            throw new InvalidOperationException(
                $"no labelled training rows at dataset version {set.DatasetVersion} ({set.Stats.UnlabelledWindows} windows lack labels); wait for clinician labels");
        }

        var clock = Stopwatch.StartNew();
        var random = new DeterministicRandom(options.Seed);
        var (mean, std) = Standardisation(set, rows);
        var model = Initialise(mean, std, options.HiddenLayers, random);
        var loss = RunEpochs(model, set, rows, options.Epochs, options.LearningRate, options, random, cancellationToken);
        return new TrainingResult
        {
            Model = model,
            Mode = TrainingMode.Full,
            TrainRows = rows.Length,
            NewRows = set.NewTrainIndices.Length,
            Epochs = options.Epochs,
            FinalLoss = loss,
            Duration = clock.Elapsed,
            Seed = options.Seed,
        };
    }

    /// <summary>
    /// Warm-starts from <paramref name="parent"/> on the set's new trainable rows plus a replay sample of its older ones.
    /// The parent is not modified.
    /// </summary>
    /// <exception cref="InvalidOperationException">No new labelled rows, or the parent does not fit the feature schema.</exception>
    public static TrainingResult TrainDifferential(TrainingSet set, MlpModel parent, TrainerOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(parent);
        options ??= TrainerOptions.Mlp;
        options.Validate();
        if (parent.InputCount != TrainingSet.FeatureCount || parent.ClassCount != RhythmClasses.Count)
        {
            throw new InvalidOperationException(
                $"parent model {parent.Architecture} does not fit {FeatureSchema.Id} ({TrainingSet.FeatureCount} features → {RhythmClasses.Count} classes); run a full retrain");
        }

        var fresh = set.NewTrainIndices;
        if (fresh.Length == 0)
        {
            throw new InvalidOperationException(
                $"no new labelled rows since dataset version {set.SinceVersion}; nothing to train differentially");
        }

        var clock = Stopwatch.StartNew();
        var random = new DeterministicRandom(options.Seed);
        var old = set.OldTrainIndices;
        var replayCount = (int)Math.Min(old.Length, Math.Max(options.MinReplayRows, Math.Ceiling(fresh.Length * options.ReplayRatio)));
        var rows = new int[fresh.Length + replayCount];
        fresh.CopyTo(rows, 0);
        SampleWithoutReplacement(old, replayCount, random, rows.AsSpan(fresh.Length));
        var model = parent.Clone();
        var loss = RunEpochs(model, set, rows, options.DifferentialEpochs, options.DifferentialLearningRate, options, random, cancellationToken);
        return new TrainingResult
        {
            Model = model,
            Mode = TrainingMode.Differential,
            TrainRows = rows.Length,
            NewRows = fresh.Length,
            ReplayRows = replayCount,
            Epochs = options.DifferentialEpochs,
            FinalLoss = loss,
            Duration = clock.Elapsed,
            Seed = options.Seed,
        };
    }

    private static double RunEpochs(MlpModel model, TrainingSet set, int[] rows, int epochs, float learningRate,
        TrainerOptions options, DeterministicRandom random, CancellationToken cancellationToken)
    {
        var batch = Math.Min(options.BatchSize, rows.Length);
        var ws = new TrainingWorkspace(model, batch);
        var adam = new AdamOptimizer(model, options.WeightDecay);
        var order = (int[])rows.Clone();
        var batchesPerEpoch = (rows.Length + batch - 1) / batch;
        var totalSteps = (long)batchesPerEpoch * epochs;
        var step = 0L;
        var lastLoss = 0.0;
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            random.Shuffle(order);
            var lossSum = 0.0;
            for (var start = 0; start < order.Length; start += batch)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var n = Math.Min(batch, order.Length - start);
                var progress = (float)step / totalSteps;
                var lr = learningRate * (1 - ((1 - options.FinalLearningRateFraction) * progress));
                lossSum += ws.Step(model, set, order.AsSpan(start, n)) * n;
                adam.Step(model, ws, lr);
                step++;
            }

            lastLoss = lossSum / order.Length;
            if (!double.IsFinite(lastLoss))
            {
                throw new InvalidOperationException(
                    $"training diverged in epoch {epoch + 1} (loss {lastLoss}); lower the learning rate (now {learningRate}) or check the features' scale");
            }
        }

        return lastLoss;
    }

    private static (float[] Mean, float[] Std) Standardisation(TrainingSet set, int[] rows)
    {
        var f = TrainingSet.FeatureCount;
        var sum = new double[f];
        var sumSq = new double[f];
        var x = set.Features;
        foreach (var r in rows)
        {
            var o = r * f;
            for (var k = 0; k < f; k++)
            {
                double v = x[o + k];
                sum[k] += v;
                sumSq[k] += v * v;
            }
        }

        var mean = new float[f];
        var std = new float[f];
        for (var k = 0; k < f; k++)
        {
            var m = sum[k] / rows.Length;
            var variance = Math.Max(0, (sumSq[k] / rows.Length) - (m * m));
            var s = Math.Sqrt(variance);
            mean[k] = (float)m;
            // A constant feature (e.g. never measured, always imputed) would divide by zero: leave it unscaled.
            std[k] = s > 1e-6 * Math.Max(1, Math.Abs(m)) ? (float)s : 1f;
        }

        return (mean, std);
    }

    private static MlpModel Initialise(float[] mean, float[] std, IReadOnlyList<int> hidden, DeterministicRandom random)
    {
        var widths = new List<int> { mean.Length };
        widths.AddRange(hidden);
        widths.Add(RhythmClasses.Count);
        var layers = new MlpLayer[widths.Count - 1];
        for (var i = 0; i < layers.Length; i++)
        {
            int fanIn = widths[i], fanOut = widths[i + 1];
            var last = i == layers.Length - 1;
            // He-uniform before ReLU, Glorot-uniform before softmax.
            var limit = last ? Math.Sqrt(6.0 / (fanIn + fanOut)) : Math.Sqrt(6.0 / fanIn);
            var w = new float[fanIn * fanOut];
            for (var j = 0; j < w.Length; j++)
            {
                w[j] = (float)(((random.NextDouble() * 2) - 1) * limit);
            }

            layers[i] = new MlpLayer(fanIn, fanOut, w, new float[fanOut]);
        }

        return new MlpModel(mean, std, layers);
    }

    private static void SampleWithoutReplacement(int[] pool, int count, DeterministicRandom random, Span<int> destination)
    {
        // Partial Fisher–Yates over a copy: the first `count` entries become a uniform sample.
        var copy = (int[])pool.Clone();
        for (var i = 0; i < count; i++)
        {
            var j = i + random.NextInt(copy.Length - i);
            (copy[i], copy[j]) = (copy[j], copy[i]);
            destination[i] = copy[i];
        }
    }
}
