using EdgeHub.Contracts;
using EdgeHub.Learning.Data;
using EdgeHub.Learning.Evaluation;
using EdgeHub.Learning.Promotion;
using EdgeHub.Learning.Training;

namespace EdgeHub.Learning.Tests;

public sealed class GateAndPolicyTests
{
    [Fact]
    public void Gate_DeliberatelyDegradedModel_IsBlockedOnCriticalSensitivity()
    {
        var set = TestData.BaseSet;
        var parentMetrics = MetricsCalculator.EvaluateHoldout(TestData.Parent, set);

        // Degrade: the VT logit loses 3 nats, so most VT windows fall to another class.
        var degraded = TestData.Parent.Clone();
        degraded.Layers[^1].Bias[(int)RhythmClass.VentricularTachycardia] -= 3f;
        var candidate = MetricsCalculator.EvaluateHoldout(degraded, set);

        var decision = PromotionGate.Evaluate(candidate, parentMetrics);
        Assert.False(decision.Promote);
        Assert.Contains("vt sensitivity", decision.Summary, StringComparison.Ordinal);
        Assert.Contains(decision.Checks, c => c.Name == "vt-sensitivity" && !c.Passed);
        Assert.Contains(decision.Checks, c => c.Name == "af-sensitivity" && c.Passed);
    }

    [Fact]
    public void Gate_ModelTrainedWithoutVtLabels_IsBlocked()
    {
        // A realistic degradation: a training set where every VT window was labelled normal.
        var rows = TestData.Base;
        var labels = (int[])rows.Labels.Clone();
        for (var i = 0; i < labels.Length; i++)
        {
            if (labels[i] == (int)RhythmClass.VentricularTachycardia)
            {
                labels[i] = (int)RhythmClass.Normal;
            }
        }

        var bad = SyntheticFeatureGenerator.ToTrainingSet(HoldoutDefinition.Default, 1, null, (rows with { Labels = labels }, false));
        var model = MlpTrainer.TrainFull(bad, TestData.Options with { Epochs = 2 }).Model;
        var decision = PromotionGate.Evaluate(
            MetricsCalculator.EvaluateHoldout(model, TestData.BaseSet), MetricsCalculator.EvaluateHoldout(TestData.Parent, TestData.BaseSet));
        Assert.False(decision.Promote, decision.Summary);
    }

    [Fact]
    public void Gate_SameModel_IsPromoted_AndFirstModelNeedsOnlyTheFloor()
    {
        var m = MetricsCalculator.EvaluateHoldout(TestData.Parent, TestData.BaseSet);
        Assert.True(PromotionGate.Evaluate(m, m).Promote);
        Assert.True(PromotionGate.Evaluate(m, null).Promote);
        Assert.False(PromotionGate.Evaluate(m, null, new GateOptions { MinimumCriticalSensitivity = 0.999 }).Promote);
    }

    [Fact]
    public void Gate_TooFewCriticalWindows_OrDifferentHoldouts_FailsClosed()
    {
        var m = MetricsCalculator.EvaluateHoldout(TestData.Parent, TestData.BaseSet);
        var scarce = PromotionGate.Evaluate(m, m, new GateOptions { MinCriticalSupport = 1_000_000 });
        Assert.False(scarce.Promote);
        Assert.Contains("the gate needs", scarce.Summary, StringComparison.Ordinal);

        var other = PromotionGate.Evaluate(m, m with { HoldoutId = "holdout-v2-patient-0.20" });
        Assert.False(other.Promote);
        Assert.Contains("re-evaluate the parent", other.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Gate_DropWithinTolerance_Passes()
    {
        var m = MetricsCalculator.EvaluateHoldout(TestData.Parent, TestData.BaseSet);
        var classes = m.Classes.ToArray();
        classes[(int)RhythmClass.AtrialFibrillation] = classes[(int)RhythmClass.AtrialFibrillation] with
        {
            Sensitivity = classes[(int)RhythmClass.AtrialFibrillation].Sensitivity - 0.015,
        };
        Assert.True(PromotionGate.Evaluate(m with { Classes = classes }, m).Promote);
        classes[(int)RhythmClass.AtrialFibrillation] = classes[(int)RhythmClass.AtrialFibrillation] with
        {
            Sensitivity = m.Classes[(int)RhythmClass.AtrialFibrillation].Sensitivity - 0.025,
        };
        Assert.False(PromotionGate.Evaluate(m with { Classes = classes }, m).Promote);
    }

    [Fact]
    public void Policy_ThresholdCommandAndPeriodicFullRetrain()
    {
        var options = new RetrainPolicyOptions { NewLabelledRowsThreshold = 1_000, FullRetrainEvery = 4 };
        Assert.False(RetrainPolicy.Decide(new RetrainState { HasParent = true, NewLabelledRows = 999 }, options).Retrain);

        var d = RetrainPolicy.Decide(new RetrainState { HasParent = true, NewLabelledRows = 1_000, DifferentialGenerationsSinceFull = 1 }, options);
        Assert.True(d.Retrain);
        Assert.Equal(TrainingMode.Differential, d.Mode);

        var periodic = RetrainPolicy.Decide(new RetrainState { HasParent = true, NewLabelledRows = 5_000, DifferentialGenerationsSinceFull = 3 }, options);
        Assert.Equal(TrainingMode.Full, periodic.Mode);
        Assert.Contains("periodic full retrain", periodic.Reason, StringComparison.Ordinal);

        Assert.Equal(TrainingMode.Full, RetrainPolicy.Decide(new RetrainState { NewLabelledRows = 5_000 }, options).Mode);
        var command = RetrainPolicy.Decide(new RetrainState { HasParent = true, NewLabelledRows = 10, CommandRequested = true }, options);
        Assert.True(command.Retrain);
        Assert.Equal(TrainingMode.Differential, command.Mode);
        Assert.Equal(TrainingMode.Full, RetrainPolicy.Decide(new RetrainState { HasParent = true, CommandRequested = true, RequestedMode = TrainingMode.Full }, options).Mode);
        Assert.False(RetrainPolicy.Decide(new RetrainState { HasParent = true, CommandRequested = true, RequestedMode = TrainingMode.Differential }, options).Retrain);
        Assert.Equal(TrainingMode.Full, RetrainPolicy.Decide(new RetrainState { HasParent = true, NewLabelledRows = 5_000, ParentIncompatible = true }, options).Mode);
    }
}
