using EdgeHub.Learning.Data;
using EdgeHub.Learning.Training;

namespace EdgeHub.Learning.Tests;

/// <summary>Generated datasets and a trained parent shared by tests (trained once per run to keep the suite quick).</summary>
internal static class TestData
{
    /// <summary>Small but realistic trainer settings: 2 epochs, the default network.</summary>
    public static TrainerOptions Options { get; } = TrainerOptions.Mlp with { Epochs = 4, DifferentialEpochs = 4, Seed = 7 };

    private static readonly Lazy<GeneratedRows> s_base = new(() => new SyntheticFeatureGenerator(11).Generate(40_000));
    private static readonly Lazy<TrainingSet> s_baseSet = new(() =>
        SyntheticFeatureGenerator.ToTrainingSet(HoldoutDefinition.Default, 1, null, (Base, false)));
    private static readonly Lazy<MlpModel> s_parent = new(() => MlpTrainer.TrainFull(BaseSet, Options).Model);

    /// <summary>40,000 windows of the baseline distribution (patients 0..799).</summary>
    public static GeneratedRows Base => s_base.Value;

    /// <summary><see cref="Base"/> as dataset version 1.</summary>
    public static TrainingSet BaseSet => s_baseSet.Value;

    /// <summary>A full model trained on <see cref="BaseSet"/>.</summary>
    public static MlpModel Parent => s_parent.Value;
}
