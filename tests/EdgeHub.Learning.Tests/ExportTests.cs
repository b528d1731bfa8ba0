using EdgeHub.Contracts;
using EdgeHub.Learning.Export;
using EdgeHub.Learning.Training;
using EdgeHub.Onnx;

namespace EdgeHub.Learning.Tests;

public sealed class ExportTests
{
    private static ModelExportInfo Info(string version = "eu-3") => new()
    {
        ModelVersion = version,
        Region = "eu",
        Mode = TrainingMode.Differential,
        DatasetVersion = 42,
        ParentVersion = "eu-2",
        BaseDatasetVersion = 40,
        HoldoutId = "holdout-v1-patient-0.10",
        Ancestors = ["eu-2", "eu-1"],
    };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ToOnnx_OrtOutputsEqualTrainerOutputs(bool logistic)
    {
        var model = logistic
            ? MlpTrainer.TrainFull(TestData.BaseSet, TrainerOptions.LogisticRegression with { Epochs = 1 }).Model
            : TestData.Parent;
        var bytes = ModelExporter.ToOnnx(model, Info());
        const int rows = 500;
        var features = TestData.Base.Features.AsSpan(0, rows * FeatureSchema.Count).ToArray();
        var expected = new float[rows * RhythmClasses.Count];
        model.Predict(features, rows, expected);

        using var session = OnnxSession.FromBytes(bytes);
        using var runner = session.CreateRunner(rows);
        features.CopyTo(runner.Input(rows));
        runner.Run(rows);
        var actual = runner.Output(0, rows);
        var labels = runner.OutputInt64(1, rows);
        var maxDiff = 0.0;
        for (var i = 0; i < expected.Length; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs(actual[i] - expected[i]));
        }

        Assert.True(maxDiff <= 1e-5, $"largest |ORT − trainer| probability difference {maxDiff}");
        for (var r = 0; r < rows; r++)
        {
            var best = 0;
            for (var c = 1; c < RhythmClasses.Count; c++)
            {
                if (expected[(r * RhythmClasses.Count) + c] > expected[(r * RhythmClasses.Count) + best])
                {
                    best = c;
                }
            }

            Assert.Equal(best, labels[r]);
        }
    }

    [Fact]
    public void ToOnnx_WritesLineageMetadata_AndPassesOnnxChecker()
    {
        var bytes = ModelExporter.ToOnnx(TestData.Parent, Info());
        var meta = OnnxModelInfo.Read(bytes);
        Assert.Equal(FeatureSchema.Id, meta.FeatureSchemaId);
        Assert.Equal("eu-3", meta.Properties[OnnxMetadataKeys.ModelVersion]);
        Assert.Equal("eu-2", meta.Properties[ModelExporter.ParentKey]);
        Assert.Equal("42", meta.Properties[ModelExporter.DatasetVersionKey]);
        Assert.Equal("differential", meta.Properties[ModelExporter.TrainingModeKey]);
        Assert.Equal("eu-3 differential on eu@v42 since v40 ← eu-2 ← eu-1", meta.Properties[OnnxMetadataKeys.Lineage]);
        Assert.Equal("normal,af,pvc,vt,brady,tachy", meta.Properties[OnnxMetadataKeys.ClassNames]);

        var path = Path.Combine(Path.GetTempPath(), $"edgehub-learning-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, bytes);
        try
        {
            var (exit, output) = TestEnvironment.CheckOnnx(path);
            Assert.True(exit == 0, "onnx.checker rejected the exported model: " + output);
            Assert.Contains("ok ecg-features-v1", output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void OnnxMlpReader_ReadsBackTheExactWeights()
    {
        var model = TestData.Parent;
        var back = OnnxMlpReader.Read(ModelExporter.ToOnnx(model, Info()));
        Assert.Equal(model.Architecture, back.Architecture);
        Assert.Equal(model.Mean, back.Mean);
        Assert.Equal(model.Std, back.Std);
        for (var l = 0; l < model.Layers.Count; l++)
        {
            Assert.Equal(model.Layers[l].Weights, back.Layers[l].Weights);
            Assert.Equal(model.Layers[l].Bias, back.Layers[l].Bias);
        }
    }

    [Fact]
    public void OnnxMlpReader_Garbage_ThrowsFormatException()
    {
        Assert.Throws<FormatException>(() => OnnxMlpReader.Read([1, 2, 3, 4, 5, 0xff]));
    }
}
