namespace EdgeHub.Onnx.Tests;

public sealed class ModelInfoTests
{
    [Fact]
    public void Read_MlpModel_ReturnsMetadataAndSignature()
    {
        var w = TestModels.RandomMlp(2, 32, 64, 32, 5);
        var info = OnnxModelInfo.Read(OnnxModelFactory.CreateMlpClassifier(w, TestModels.Metadata("42")));
        Assert.Equal(8, info.IrVersion);
        Assert.Equal(17, info.DefaultOpset);
        Assert.Equal(42, info.ModelVersion);
        Assert.Equal("EdgeHub", info.ProducerName);
        Assert.Equal("ecg-features-v1", info.FeatureSchemaId);
        Assert.Equal("42", info.Properties[OnnxMetadataKeys.ModelVersion]);
        Assert.Equal("parent=6;dataset=eu@12", info.Properties[OnnxMetadataKeys.Lineage]);
        Assert.Equal("32-64-32-5", info.Properties[OnnxMetadataKeys.Architecture]);
        Assert.Equal("features: float [N, 32]", Assert.Single(info.Inputs).ToString());
        Assert.Equal(["probabilities: float [N, 5]", "label: int64 [N]"], info.Outputs.Select(o => o.ToString()));
    }

    [Fact]
    public void Read_AgreesWithOrtSignature()
    {
        var bytes = OnnxModelFactory.CreateMlpClassifier(TestModels.RandomMlp(4, 9, 4), TestModels.Metadata("eu-3"));
        var info = OnnxModelInfo.Read(bytes);
        using var session = OnnxSession.FromBytes(bytes);
        Assert.Equal(session.Inputs.Select(i => i.ToString()), info.Inputs.Select(i => i.ToString()));
        Assert.Equal(session.Outputs.Select(i => i.ToString()), info.Outputs.Select(i => i.ToString()));
        Assert.Equal(0, info.ModelVersion); // "eu-3" is not an integer: it stays in metadata only
        Assert.Equal("eu-3", info.Properties[OnnxMetadataKeys.ModelVersion]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Read_Garbage_ThrowsFormatException(int seed)
    {
        var bytes = new byte[seed == 0 ? 1 : 500];
        new Random(seed).NextBytes(bytes);
        var ex = Assert.Throws<OnnxModelFormatException>(() => OnnxModelInfo.Read(bytes));
        Assert.StartsWith("not an ONNX model", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_Truncated_ThrowsFormatException()
    {
        var bytes = OnnxModelFactory.CreateMlpClassifier(TestModels.RandomMlp(4, 9, 4), TestModels.Metadata());
        for (var cut = 1; cut < bytes.Length; cut += Math.Max(1, bytes.Length / 37))
        {
            var prefix = bytes.AsSpan(0, cut).ToArray();
            var error = Record.Exception(() => OnnxModelInfo.Read(prefix));
            Assert.True(error is OnnxModelFormatException, $"prefix of {cut} bytes: {error?.GetType().Name ?? "no exception"}");
        }
    }

    [Fact]
    public void Read_Empty_Throws()
    {
        Assert.Throws<OnnxModelFormatException>(() => OnnxModelInfo.Read([]));
    }
}
