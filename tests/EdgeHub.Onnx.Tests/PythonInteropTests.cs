namespace EdgeHub.Onnx.Tests;

/// <summary>Models written by the reference implementation (Debian python3-onnx) are read by our reader and run by ORT, and ours survive its round trip.</summary>
public sealed class PythonInteropTests
{
    /// <summary>
    /// y = softmax(x · W + b) written with onnx.helper in the old style where the initializers W and b are also listed as
    /// graph inputs (required before IR 4, still legal), plus metadata and a named batch dimension "batch".
    /// </summary>
    private const string WriteLogistic = """
        import sys, onnx, numpy as np
        from onnx import helper, TensorProto, numpy_helper
        W = np.array([[1, -1, 0.5], [2, 0, -0.5]], dtype=np.float32)
        b = np.array([0.1, 0.2, 0.3], dtype=np.float32)
        x = helper.make_tensor_value_info('x', TensorProto.FLOAT, ['batch', 2])
        y = helper.make_tensor_value_info('y', TensorProto.FLOAT, ['batch', 3])
        w_in = helper.make_tensor_value_info('W', TensorProto.FLOAT, [2, 3])
        b_in = helper.make_tensor_value_info('b', TensorProto.FLOAT, [3])
        nodes = [helper.make_node('Gemm', ['x', 'W', 'b'], ['z']), helper.make_node('Softmax', ['z'], ['y'], axis=1)]
        graph = helper.make_graph(nodes, 'py_logistic', [x, w_in, b_in], [y], initializer=[numpy_helper.from_array(W, 'W'), numpy_helper.from_array(b, 'b')])
        model = helper.make_model(graph, producer_name='python-onnx', opset_imports=[helper.make_opsetid('', 17)])
        model.ir_version = 8
        model.model_version = 3
        helper.set_model_props(model, {'feature_schema_id': 'py-schema', 'lineage': 'python'})
        onnx.checker.check_model(model, full_check=True)
        onnx.save(model, sys.argv[1])
        print('written')
        """;

    [Fact]
    public void PythonWrittenModel_ReaderSkipsInitializerInputs_AndOrtComputesIt()
    {
        var path = Path.Combine(Path.GetTempPath(), $"edgehub-py-{Guid.NewGuid():N}.onnx");
        try
        {
            var (exitCode, output) = OrtTestEnvironment.RunPython(WriteLogistic, path);
            Assert.True(exitCode == 0, output);
            var bytes = File.ReadAllBytes(path);

            var info = OnnxModelInfo.Read(bytes);
            Assert.Equal("python-onnx", info.ProducerName);
            Assert.Equal(3, info.ModelVersion);
            Assert.Equal("py-schema", info.FeatureSchemaId);
            Assert.Equal("x: float [batch, 2]", Assert.Single(info.Inputs).ToString());
            Assert.Equal("y: float [batch, 3]", Assert.Single(info.Outputs).ToString());

            using var session = OnnxSession.FromBytes(bytes);
            using var runner = session.CreateRunner(2);
            runner.Run([1f, 2f, 0f, 0f]);
            var z = new[] { 1 + 4 + 0.1, -1 + 0 + 0.2, 0.5 - 1 + 0.3 };
            var total = z.Sum(Math.Exp);
            for (var c = 0; c < 3; c++)
            {
                Assert.Equal(Math.Exp(z[c]) / total, runner.Output(0, 2)[c], 1e-6);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void OurModel_SurvivesPythonRoundTrip_WithMetadataAndWeights()
    {
        var w = TestModels.RandomMlp(31, 6, 4, 3);
        var ours = OnnxModelFactory.CreateMlpClassifier(w, TestModels.Metadata("12"));
        var input = Path.Combine(Path.GetTempPath(), $"edgehub-rt-in-{Guid.NewGuid():N}.onnx");
        var output = Path.Combine(Path.GetTempPath(), $"edgehub-rt-out-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(input, ours);
        try
        {
            // Python re-serializes after reading every field: anything we wrote that it did not understand would be dropped or fail.
            var (exitCode, log) = OrtTestEnvironment.RunPython(
                "import sys, onnx; m = onnx.load(sys.argv[1]); print({p.key: p.value for p in m.metadata_props}); onnx.save(m, sys.argv[2])",
                input, output);
            Assert.True(exitCode == 0, log);
            Assert.Contains("'feature_schema_id': 'ecg-features-v1'", log, StringComparison.Ordinal);
            var roundTripped = File.ReadAllBytes(output);
            Assert.Equal(ours, roundTripped);
        }
        finally
        {
            File.Delete(input);
            File.Delete(output);
        }
    }
}
