using Microsoft.ML.OnnxRuntime;

namespace EdgeHub.Onnx.Tests;

public sealed class SessionTests
{
    private static readonly MlpWeights Weights = TestModels.RandomMlp(11, 32, 64, 32, 5);

    [Fact]
    public void FromBytes_CorruptBytes_ThrowsWithOrtMessage()
    {
        var bytes = new byte[300];
        new Random(5).NextBytes(bytes);
        var ex = Assert.Throws<OnnxInferenceException>(() => OnnxSession.FromBytes(bytes));
        Assert.False(string.IsNullOrWhiteSpace(ex.OrtMessage));
        Assert.Contains(ex.OrtMessage, ex.Message, StringComparison.Ordinal);
        Assert.Contains("300 bytes", ex.Message, StringComparison.Ordinal);
        Assert.Contains("[ErrorCode:", ex.OrtMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void FromBytes_TruncatedModel_ThrowsInvalidProtobuf()
    {
        var bytes = OnnxModelFactory.CreateMlpClassifier(Weights, TestModels.Metadata());
        var ex = Assert.Throws<OnnxInferenceException>(() => OnnxSession.FromBytes(bytes.AsSpan(0, bytes.Length / 2)));
        Assert.Contains("[ErrorCode:InvalidProtobuf]", ex.OrtMessage, StringComparison.Ordinal);
        Assert.Contains("Protobuf", ex.OrtMessage, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void FromBytes_Empty_ThrowsArgumentException()
    {
        Assert.Throws<ArgumentException>(() => OnnxSession.FromBytes(ReadOnlySpan<byte>.Empty));
    }

    [Fact]
    public void FromFile_LoadsSameSignature_AndMissingFileIsClear()
    {
        var path = Path.Combine(Path.GetTempPath(), $"edgehub-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, OnnxModelFactory.CreateMlpClassifier(Weights, TestModels.Metadata()));
        try
        {
            using var session = OnnxSession.FromFile(path);
            Assert.Equal("features: float [N, 32]", session.Inputs[0].ToString());
        }
        finally
        {
            File.Delete(path);
        }
        var missing = Assert.Throws<FileNotFoundException>(() => OnnxSession.FromFile(path));
        Assert.Contains(path, missing.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(GraphOptimizationLevel.ORT_DISABLE_ALL, true, 1)]
    [InlineData(GraphOptimizationLevel.ORT_ENABLE_BASIC, true, 1)]
    [InlineData(GraphOptimizationLevel.ORT_ENABLE_EXTENDED, false, 2)]
    [InlineData(GraphOptimizationLevel.ORT_ENABLE_ALL, true, 2)]
    public void Options_EveryLevelAndThreading_GiveSameOutputs(GraphOptimizationLevel level, bool sequential, int threads)
    {
        var options = new OnnxSessionOptions { Optimization = level, Sequential = sequential, IntraOpThreads = threads };
        using var session = OnnxSession.FromBytes(OnnxModelFactory.CreateMlpClassifier(Weights, TestModels.Metadata()), options);
        using var runner = session.CreateRunner(8);
        TestModels.AssertRunMatchesReference(runner, Weights, TestModels.RandomRows(3, 8, Weights));
    }

    [Fact]
    public void Runner_WrongRowLength_MessageNamesExpectedShape()
    {
        using var session = OnnxSession.FromBytes(OnnxModelFactory.CreateMlpClassifier(Weights, TestModels.Metadata()));
        using var runner = session.CreateRunner(16);
        var ex = Assert.Throws<ArgumentException>(() => runner.Run(new float[95]));
        Assert.Contains("[N, 32]", ex.Message, StringComparison.Ordinal);
        Assert.Contains("got 95 floats", ex.Message, StringComparison.Ordinal);
        var tooMany = Assert.Throws<ArgumentException>(() => runner.Run(new float[17 * 32]));
        Assert.Contains("N ≤ 16", tooMany.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Runner_BatchOutOfRange_SaysLimit()
    {
        using var session = OnnxSession.FromBytes(OnnxModelFactory.CreateMlpClassifier(Weights, TestModels.Metadata()));
        using var runner = session.CreateRunner(4);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => runner.Input(5));
        Assert.Contains("1..4", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => runner.Run(0));
    }

    [Fact]
    public void Runner_OutputWithWrongAccessor_Throws()
    {
        using var session = OnnxSession.FromBytes(OnnxModelFactory.CreateMlpClassifier(Weights, TestModels.Metadata()));
        using var runner = session.CreateRunner(4);
        runner.Run(1);
        Assert.Throws<InvalidOperationException>(() => runner.Output(1, 1).Length);
        Assert.Throws<InvalidOperationException>(() => runner.OutputInt64(0, 1).Length);
    }

    [Fact]
    public void Runner_SteadyStateRun_AllocatesNothing()
    {
        using var session = OnnxSession.FromBytes(OnnxModelFactory.CreateMlpClassifier(Weights, TestModels.Metadata()));
        using var runner = session.CreateRunner(64);
        TestModels.RandomRows(1, 64, Weights).CopyTo(runner.Input(64));
        foreach (var batch in new[] { 1, 16, 64 })
        {
            runner.Run(batch);
            runner.Run(batch);
        }
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 200; i++)
        {
            runner.Run(i % 2 == 0 ? 64 : 16);
            _ = runner.Output(0, 16)[0];
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Runner_ReusedAcrossBatchSizes_StaysCorrect()
    {
        using var session = OnnxSession.FromBytes(OnnxModelFactory.CreateMlpClassifier(Weights, TestModels.Metadata()));
        using var runner = session.CreateRunner(32);
        var expected = new float[5];
        foreach (var batch in new[] { 32, 1, 7, 32, 2 })
        {
            var rows = TestModels.RandomRows(batch * 13, batch, Weights);
            runner.Run(rows);
            for (var r = 0; r < batch; r++)
            {
                var label = MlpReference.Predict(Weights, rows.AsSpan(r * 32, 32), expected);
                Assert.Equal(label, runner.OutputInt64(1, batch)[r]);
                Assert.True(Math.Abs(runner.Output(0, batch)[r * 5 + label] - expected[label]) <= 1e-5);
            }
        }
    }

    [Fact]
    public void Runner_AfterSessionDisposed_ThrowsObjectDisposed()
    {
        var session = OnnxSession.FromBytes(OnnxModelFactory.CreateMlpClassifier(Weights, TestModels.Metadata()));
        using var runner = session.CreateRunner(2);
        session.Dispose();
        Assert.Throws<ObjectDisposedException>(() => runner.Run(1));
    }

    [Fact]
    public void Session_ConcurrentRunners_AgreeWithReference()
    {
        using var session = OnnxSession.FromBytes(OnnxModelFactory.CreateMlpClassifier(Weights, TestModels.Metadata()));
        Parallel.For(0, 4, worker =>
        {
            using var runner = session.CreateRunner(8);
            var expected = new float[5];
            for (var iteration = 0; iteration < 50; iteration++)
            {
                var rows = TestModels.RandomRows(worker * 1000 + iteration, 8, Weights);
                runner.Run(rows);
                for (var r = 0; r < 8; r++)
                {
                    Assert.Equal(MlpReference.Predict(Weights, rows.AsSpan(r * 32, 32), expected), runner.OutputInt64(1, 8)[r]);
                }
            }
        });
    }
}
