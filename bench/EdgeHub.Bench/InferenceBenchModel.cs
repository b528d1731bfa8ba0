using EdgeHub.Onnx;

namespace EdgeHub.Bench;

/// <summary>Deterministic weights and feature rows for the inference benchmark (values do not change ORT's cost, shapes do).</summary>
internal static class InferenceBenchModel
{
    public static MlpWeights Create(IReadOnlyList<int> sizes)
    {
        if (sizes.Count < 2)
        {
            throw new ArgumentException("the architecture needs features and at least one layer, e.g. 32,64,32,5", nameof(sizes));
        }
        var random = new Random(42);
        var mean = new float[sizes[0]];
        var std = new float[sizes[0]];
        for (var i = 0; i < mean.Length; i++)
        {
            mean[i] = (float)(random.NextDouble() - 0.5);
            std[i] = (float)(0.5 + random.NextDouble());
        }
        var layers = new List<DenseLayer>();
        for (var l = 1; l < sizes.Count; l++)
        {
            var weights = new float[sizes[l - 1] * sizes[l]];
            for (var i = 0; i < weights.Length; i++)
            {
                weights[i] = (float)((random.NextDouble() - 0.5) * 0.5);
            }
            layers.Add(new DenseLayer(sizes[l - 1], sizes[l], weights, new float[sizes[l]]));
        }
        return new MlpWeights(mean, std, layers);
    }

    public static void FillRows(Span<float> rows, MlpWeights weights, int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < rows.Length; i++)
        {
            var f = i % weights.FeatureCount;
            rows[i] = weights.Mean[f] + (float)((random.NextDouble() - 0.5) * 3 * weights.Std[f]);
        }
    }
}
