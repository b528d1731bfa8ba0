namespace EdgeHub.Onnx.Tests;

public sealed class ModelBuilderTests
{
    [Fact]
    public void Builder_MatMulAddSigmoid_PassesCheckerAndRunsInOrt()
    {
        var builder = new OnnxModelBuilder("logit");
        var x = builder.AddInput("x", OnnxElementType.Float, -1, 3);
        var y = builder.Dense(x, 3, 1, [0.5f, -1f, 2f], [0.25f], useGemm: false);
        builder.Sigmoid(y, output: "p");
        builder.AddOutput("p", OnnxElementType.Float, -1, 1);
        builder.Metadata["k"] = "v";
        var bytes = builder.ToBytes();

        var path = Path.Combine(Path.GetTempPath(), $"edgehub-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, bytes);
        try
        {
            var (exitCode, output) = OrtTestEnvironment.CheckWithPython(path);
            Assert.True(exitCode == 0, output);
        }
        finally
        {
            File.Delete(path);
        }

        using var session = OnnxSession.FromBytes(bytes);
        using var runner = session.CreateRunner(2);
        runner.Run([1f, 2f, 3f, 0f, 0f, 0f]);
        var expected0 = 1 / (1 + Math.Exp(-(0.5 - 2 + 6 + 0.25)));
        var expected1 = 1 / (1 + Math.Exp(-0.25));
        Assert.Equal(expected0, runner.Output(0, 2)[0], 1e-6);
        Assert.Equal(expected1, runner.Output(0, 2)[1], 1e-6);
    }

    [Fact]
    public void Builder_UnknownInputOrDuplicateName_Throws()
    {
        var builder = new OnnxModelBuilder();
        var x = builder.AddInput("x", OnnxElementType.Float, -1, 3);
        Assert.Contains("'nope'", Assert.Throws<ArgumentException>(() => builder.Relu("nope")).Message, StringComparison.Ordinal);
        builder.Relu(x, output: "r");
        Assert.Throws<ArgumentException>(() => builder.Relu(x, output: "r"));
        Assert.Throws<ArgumentException>(() => builder.AddOutput("missing", OnnxElementType.Float, -1, 3));
        Assert.Throws<ArgumentException>(() => builder.Constant("c", [1f, 2f], 3));
        Assert.Throws<InvalidOperationException>(() => new OnnxModelBuilder().Build());
    }

    [Fact]
    public void CreateMlpClassifier_BadWeights_SayWhatIsWrong()
    {
        var good = TestModels.RandomMlp(1, 4, 3, 2);
        var zeroStd = good with { Std = [1f, 0f, 1f, 1f] };
        Assert.Contains("feature 1", Assert.Throws<ArgumentException>(() => OnnxModelFactory.CreateMlpClassifier(zeroStd, TestModels.Metadata())).Message, StringComparison.Ordinal);

        var broken = good with { Layers = [good.Layers[0], good.Layers[1] with { Inputs = 5, Weights = new float[10] }] };
        Assert.Contains("layer 1 takes 5 inputs but receives 3", Assert.Throws<ArgumentException>(() => OnnxModelFactory.CreateMlpClassifier(broken, TestModels.Metadata())).Message, StringComparison.Ordinal);

        var nan = good with { Layers = [good.Layers[0] with { Bias = [0f, float.NaN, 0f] }, good.Layers[1]] };
        Assert.Contains("bias 1", Assert.Throws<ArgumentException>(() => OnnxModelFactory.CreateMlpClassifier(nan, TestModels.Metadata())).Message, StringComparison.Ordinal);

        var oneClass = TestModels.RandomMlp(1, 4, 1);
        Assert.Contains("at least 2 classes", Assert.Throws<ArgumentException>(() => OnnxModelFactory.CreateMlpClassifier(oneClass, TestModels.Metadata())).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CreateMlpClassifier_IsDeterministic()
    {
        var w = TestModels.RandomMlp(8, 6, 5, 3);
        Assert.Equal(OnnxModelFactory.CreateMlpClassifier(w, TestModels.Metadata()), OnnxModelFactory.CreateMlpClassifier(w, TestModels.Metadata()));
    }
}
