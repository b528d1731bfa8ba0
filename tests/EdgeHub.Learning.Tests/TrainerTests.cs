using EdgeHub.Contracts;
using EdgeHub.Learning.Data;
using EdgeHub.Learning.Evaluation;
using EdgeHub.Learning.Training;

namespace EdgeHub.Learning.Tests;

public sealed class TrainerTests
{
    [Fact]
    public void Backprop_MatchesNumericGradient()
    {
        var rows = new SyntheticFeatureGenerator(3).Generate(16);
        var set = SyntheticFeatureGenerator.ToTrainingSet(HoldoutDefinition.Default, 1, null, (rows, false));
        var small = TrainerOptions.Mlp with { HiddenLayers = [7, 5], Epochs = 1, Seed = 5 };
        var model = MlpTrainer.TrainFull(set, small).Model;
        var all = new int[set.Count];
        for (var i = 0; i < all.Length; i++)
        {
            all[i] = i;
        }

        var ws = new TrainingWorkspace(model, all.Length);
        ws.Step(model, set, all);
        var checkedCount = 0;
        for (var l = 0; l < model.Layers.Count; l++)
        {
            var layer = model.Layers[l];
            var analyticW = (float[])ws.GradW[l].Clone();
            var analyticB = (float[])ws.GradB[l].Clone();
            for (var j = 0; j < layer.Weights.Length; j += 3)
            {
                AssertGradient(model, set, all, layer.Weights, j, analyticW[j], $"layer {l} W[{j}]");
                checkedCount++;
            }

            for (var j = 0; j < layer.Bias.Length; j++)
            {
                AssertGradient(model, set, all, layer.Bias, j, analyticB[j], $"layer {l} b[{j}]");
                checkedCount++;
            }
        }

        Assert.True(checkedCount > 80);
    }

    private static void AssertGradient(MlpModel model, TrainingSet set, int[] rows, float[] parameters, int index, float analytic, string what)
    {
        const float eps = 3e-3f; // small enough not to cross a ReLU kink, large enough for float32 loss differences
        var ws = new TrainingWorkspace(model, rows.Length);
        var original = parameters[index];
        parameters[index] = original + eps;
        var plus = ws.Step(model, set, rows);
        parameters[index] = original - eps;
        var minus = ws.Step(model, set, rows);
        parameters[index] = original;
        var numeric = (plus - minus) / (2 * eps);
        Assert.True(Math.Abs(numeric - analytic) <= 2e-3 + (0.05 * Math.Abs(numeric)), $"{what}: analytic {analytic} vs numeric {numeric}");
    }

    [Fact]
    public void TrainFull_SameSeed_SameWeights_DifferentSeed_DifferentWeights()
    {
        var rows = new SyntheticFeatureGenerator(4).Generate(3_000);
        var set = SyntheticFeatureGenerator.ToTrainingSet(HoldoutDefinition.Default, 1, null, (rows, false));
        var a = MlpTrainer.TrainFull(set, TrainerOptions.Mlp with { Epochs = 2, Seed = 9 }).Model;
        var b = MlpTrainer.TrainFull(set, TrainerOptions.Mlp with { Epochs = 2, Seed = 9 }).Model;
        var c = MlpTrainer.TrainFull(set, TrainerOptions.Mlp with { Epochs = 2, Seed = 10 }).Model;
        for (var l = 0; l < a.Layers.Count; l++)
        {
            Assert.Equal(a.Layers[l].Weights, b.Layers[l].Weights);
            Assert.Equal(a.Layers[l].Bias, b.Layers[l].Bias);
        }

        Assert.NotEqual(a.Layers[0].Weights, c.Layers[0].Weights);
        Assert.Equal(a.Mean, c.Mean);
    }

    [Fact]
    public void TrainFull_SyntheticWindows_LearnsEveryClass()
    {
        var metrics = MetricsCalculator.EvaluateHoldout(TestData.Parent, TestData.BaseSet);
        Assert.True(metrics.Rows > 2_000, $"holdout has {metrics.Rows} rows");
        Assert.True(metrics.MacroAuroc > 0.93, $"macro AUROC {metrics.MacroAuroc}");
        foreach (var c in metrics.Classes)
        {
            Assert.True(c.Auroc > 0.85, $"{c.Class} AUROC {c.Auroc}");
        }

        Assert.True(metrics.For(RhythmClass.AtrialFibrillation).Sensitivity > 0.85);
        Assert.True(metrics.Ece < 0.05, $"ECE {metrics.Ece}");
    }

    [Fact]
    public void TrainFull_StandardisationComesFromTrainingRowsOnly()
    {
        var set = TestData.BaseSet;
        var sum = 0.0;
        foreach (var r in set.TrainIndices)
        {
            sum += set.Features[r * TrainingSet.FeatureCount];
        }

        Assert.Equal(sum / set.TrainIndices.Length, TestData.Parent.Mean[0], 2);
    }

    [Fact]
    public void TrainDifferential_DriftedDelta_BeatsParentOnNewDistribution_AndKeepsOldWithinTolerance()
    {
        var drifted = new SyntheticFeatureGenerator(21, DriftProfile.NewLeadPlacement).Generate(6_000, firstPatient: 100_000);
        var set = SyntheticFeatureGenerator.ToTrainingSet(HoldoutDefinition.Default, 2, 1, (TestData.Base, false), (drifted, true));
        var parent = TestData.Parent;
        var before = (float[])parent.Layers[0].Weights.Clone();

        var diff = MlpTrainer.TrainDifferential(set, parent, TestData.Options);

        Assert.Equal(before, parent.Layers[0].Weights); // the parent is not modified
        Assert.Equal(TrainingMode.Differential, diff.Mode);
        Assert.Equal(set.NewTrainIndices.Length, diff.NewRows);
        Assert.True(diff.ReplayRows >= diff.NewRows, $"replay {diff.ReplayRows} for {diff.NewRows} new rows");
        Assert.Equal(parent.Mean, diff.Model.Mean); // keeps the parent's standardisation

        // Fresh evaluation sets, never seen by either model: the new and the old distribution.
        var newEval = Eval(new SyntheticFeatureGenerator(31, DriftProfile.NewLeadPlacement).Generate(8_000));
        var oldEval = Eval(new SyntheticFeatureGenerator(32).Generate(8_000));
        var parentNew = MetricsCalculator.Evaluate(parent, newEval, All(newEval));
        var diffNew = MetricsCalculator.Evaluate(diff.Model, newEval, All(newEval));
        var parentOld = MetricsCalculator.Evaluate(parent, oldEval, All(oldEval));
        var diffOld = MetricsCalculator.Evaluate(diff.Model, oldEval, All(oldEval));

        Assert.True(diffNew.MacroAuroc > parentNew.MacroAuroc, $"new distribution: diff {diffNew.MacroAuroc:F4} vs parent {parentNew.MacroAuroc:F4}");
        Assert.True(diffNew.LogLoss < parentNew.LogLoss - 0.02, $"new distribution log loss: diff {diffNew.LogLoss:F4} vs parent {parentNew.LogLoss:F4}");
        Assert.True(diffNew.Accuracy > parentNew.Accuracy, $"new distribution accuracy: diff {diffNew.Accuracy:F4} vs parent {parentNew.Accuracy:F4}");
        Assert.True(diffOld.MacroAuroc >= parentOld.MacroAuroc - 0.005, $"old distribution: diff {diffOld.MacroAuroc:F4} vs parent {parentOld.MacroAuroc:F4}");
        foreach (var c in RhythmClasses.Critical)
        {
            Assert.True(diffOld.For(c).Sensitivity >= parentOld.For(c).Sensitivity - 0.02,
                $"old distribution {c} sensitivity: diff {diffOld.For(c).Sensitivity:F3} vs parent {parentOld.For(c).Sensitivity:F3}");
        }
    }

    [Fact]
    public void TrainDifferential_NoNewRows_ThrowsSayingSo()
    {
        var e = Assert.Throws<InvalidOperationException>(() => MlpTrainer.TrainDifferential(TestData.BaseSet, TestData.Parent, TestData.Options));
        Assert.Contains("no new labelled rows", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TrainFull_NoLabelledRows_ThrowsSayingSo()
    {
        var empty = new TrainingSet([], [], [], [], HoldoutDefinition.Default, 3);
        var e = Assert.Throws<InvalidOperationException>(() => MlpTrainer.TrainFull(empty));
        Assert.Contains("no labelled training rows", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TrainFull_LogisticRegression_HasOneLayer()
    {
        var rows = new SyntheticFeatureGenerator(5).Generate(4_000);
        var set = SyntheticFeatureGenerator.ToTrainingSet(HoldoutDefinition.Default, 1, null, (rows, false));
        var lr = MlpTrainer.TrainFull(set, TrainerOptions.LogisticRegression with { Epochs = 3 }).Model;
        Assert.Equal("logreg-32-6", lr.Architecture);
        Assert.True(MetricsCalculator.EvaluateHoldout(lr, set).MacroAuroc > 0.85);
    }

    [Fact]
    public void Options_Invalid_ThrowClearly()
    {
        Assert.Throws<ArgumentException>(() => (TrainerOptions.Mlp with { Epochs = 0 }).Validate());
        Assert.Throws<ArgumentException>(() => (TrainerOptions.Mlp with { LearningRate = -1 }).Validate());
        Assert.Throws<ArgumentException>(() => (TrainerOptions.Mlp with { HiddenLayers = [0] }).Validate());
    }

    [Fact]
    public void Train_Cancelled_Stops()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.Throws<OperationCanceledException>(() => MlpTrainer.TrainFull(TestData.BaseSet, TestData.Options, cts.Token));
    }

    [Fact]
    public void TrainingSet_NonFiniteFeature_IsRefusedWithItsName()
    {
        var features = new float[2 * TrainingSet.FeatureCount];
        features[TrainingSet.FeatureCount + 26] = float.NaN;
        var e = Assert.Throws<ArgumentException>(() => new TrainingSet(features, [0, 1], new bool[2], new bool[2], HoldoutDefinition.Default, 1));
        Assert.Contains("'spo2_pct' of row 1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_AbsurdLearningRate_ReportsDivergence()
    {
        var rows = new SyntheticFeatureGenerator(6).Generate(2_000);
        var set = SyntheticFeatureGenerator.ToTrainingSet(HoldoutDefinition.Default, 1, null, (rows, false));
        var e = Assert.Throws<InvalidOperationException>(() =>
            MlpTrainer.TrainFull(set, TrainerOptions.Mlp with { LearningRate = 1e30f, FinalLearningRateFraction = 1, Epochs = 2 }));
        Assert.Contains("diverged", e.Message, StringComparison.Ordinal);
    }

    private static TrainingSet Eval(GeneratedRows rows) =>
        new(rows.Features, rows.Labels, new bool[rows.Count], new bool[rows.Count], HoldoutDefinition.Default, 0);

    private static int[] All(TrainingSet s)
    {
        var a = new int[s.Count];
        for (var i = 0; i < a.Length; i++)
        {
            a[i] = i;
        }

        return a;
    }
}
