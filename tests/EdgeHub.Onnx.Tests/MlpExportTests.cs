namespace EdgeHub.Onnx.Tests;

public sealed class MlpExportTests
{
    [Theory]
    [InlineData(new[] { 32, 64, 32, 5 })]
    [InlineData(new[] { 12, 3 })]
    [InlineData(new[] { 7, 16, 2 })]
    public void CreateMlpClassifier_PassesOnnxCheckerFullCheck(int[] sizes)
    {
        var w = TestModels.RandomMlp(1, sizes);
        var bytes = OnnxModelFactory.CreateMlpClassifier(w, TestModels.Metadata());
        var path = Path.Combine(Path.GetTempPath(), $"edgehub-onnx-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, bytes);
        try
        {
            var (exitCode, output) = OrtTestEnvironment.CheckWithPython(path);
            Assert.True(exitCode == 0, $"onnx.checker rejected the model: {output}");
            Assert.StartsWith("ok 8 17", output.Trim(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(new[] { 32, 64, 32, 5 }, 1)]
    [InlineData(new[] { 32, 64, 32, 5 }, 37)]
    [InlineData(new[] { 12, 3 }, 64)]
    [InlineData(new[] { 7, 16, 2 }, 5)]
    public void CreateMlpClassifier_OrtOutputsMatchCSharpReference(int[] sizes, int batch)
    {
        var w = TestModels.RandomMlp(sizes.Length * 100 + batch, sizes);
        using var session = OnnxSession.FromBytes(OnnxModelFactory.CreateMlpClassifier(w, TestModels.Metadata()));
        using var runner = session.CreateRunner(64);
        var rows = TestModels.RandomRows(batch, batch, w);
        rows.CopyTo(runner.Input(batch));
        runner.Run(batch);

        var probabilities = runner.Output(0, batch);
        var labels = runner.OutputInt64(1, batch);
        var expected = new float[w.ClassCount];
        for (var r = 0; r < batch; r++)
        {
            var label = MlpReference.Predict(w, rows.AsSpan(r * w.FeatureCount, w.FeatureCount), expected);
            for (var c = 0; c < w.ClassCount; c++)
            {
                var actual = probabilities[r * w.ClassCount + c];
                Assert.True(Math.Abs(actual - expected[c]) <= 1e-5, $"row {r} class {c}: ORT {actual} vs reference {expected[c]}");
            }
            Assert.Equal(label, labels[r]);
        }
    }

    [Fact]
    public void CreateMlpClassifier_SignatureIsFeaturesProbabilitiesLabel()
    {
        var w = TestModels.RandomMlp(3, 32, 64, 32, 5);
        using var session = OnnxSession.FromBytes(OnnxModelFactory.CreateMlpClassifier(w, TestModels.Metadata()));
        Assert.Equal("features: float [N, 32]", Assert.Single(session.Inputs).ToString());
        Assert.Equal(2, session.Outputs.Count);
        Assert.Equal("probabilities: float [N, 5]", session.Outputs[0].ToString());
        Assert.Equal("label: int64 [N]", session.Outputs[1].ToString());
        Assert.Equal([-1L, 32L], session.Inputs[0].Shape);
    }
}
