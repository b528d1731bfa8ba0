namespace EdgeHub.Onnx.Tests;

/// <summary>Deterministic random MLP weights and feature rows for tests.</summary>
internal static class TestModels
{
    public static MlpWeights RandomMlp(int seed, params int[] sizes)
    {
        var random = new Random(seed);
        var features = sizes[0];
        var mean = new float[features];
        var std = new float[features];
        for (var i = 0; i < features; i++)
        {
            mean[i] = (float)(random.NextDouble() * 10 - 5);
            std[i] = (float)(0.5 + random.NextDouble() * 3);
        }
        var layers = new List<DenseLayer>();
        for (var l = 1; l < sizes.Length; l++)
        {
            var inputs = sizes[l - 1];
            var outputs = sizes[l];
            var scale = Math.Sqrt(2.0 / inputs);
            var weights = new float[inputs * outputs];
            for (var i = 0; i < weights.Length; i++)
            {
                weights[i] = (float)((random.NextDouble() * 2 - 1) * scale * 1.7);
            }
            var bias = new float[outputs];
            for (var i = 0; i < bias.Length; i++)
            {
                bias[i] = (float)(random.NextDouble() * 0.2 - 0.1);
            }
            layers.Add(new DenseLayer(inputs, outputs, weights, bias));
        }
        return new MlpWeights(mean, std, layers);
    }

    public static float[] RandomRows(int seed, int rows, MlpWeights w)
    {
        var random = new Random(seed);
        var data = new float[rows * w.FeatureCount];
        for (var r = 0; r < rows; r++)
        {
            for (var f = 0; f < w.FeatureCount; f++)
            {
                data[r * w.FeatureCount + f] = (float)(w.Mean[f] + (random.NextDouble() * 2 - 1) * 2 * w.Std[f]);
            }
        }
        return data;
    }

    /// <summary>Runs <paramref name="rows"/> through <paramref name="runner"/> and checks every output against the C# reference MLP.</summary>
    public static void AssertRunMatchesReference(OnnxRunner runner, MlpWeights w, float[] rows)
    {
        var batch = rows.Length / w.FeatureCount;
        runner.Run(rows);
        var expected = new float[w.ClassCount];
        for (var r = 0; r < batch; r++)
        {
            MlpReference.Predict(w, rows.AsSpan(r * w.FeatureCount, w.FeatureCount), expected);
            for (var c = 0; c < w.ClassCount; c++)
            {
                Assert.True(Math.Abs(runner.Output(0, batch)[r * w.ClassCount + c] - expected[c]) <= 1e-5);
            }
        }
    }

    public static IReadOnlyDictionary<string, string> Metadata(string version = "7") => new Dictionary<string, string>
    {
        [OnnxMetadataKeys.ModelVersion] = version,
        [OnnxMetadataKeys.FeatureSchemaId] = "ecg-features-v1",
        [OnnxMetadataKeys.Lineage] = "parent=6;dataset=eu@12",
    };
}
