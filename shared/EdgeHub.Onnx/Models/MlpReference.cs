namespace EdgeHub.Onnx;

/// <summary>
/// The MLP forward pass in plain C# (double accumulation): the reference an exported ONNX model must reproduce, and a
/// way for the trainer to score without ONNX Runtime.
/// </summary>
public static class MlpReference
{
    /// <summary>Computes class probabilities for one feature row and returns the most probable class (first on ties, like ONNX ArgMax).</summary>
    public static int Predict(MlpWeights weights, ReadOnlySpan<float> features, Span<float> probabilities)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (features.Length != weights.FeatureCount)
        {
            throw new ArgumentException($"expected {weights.FeatureCount} features, got {features.Length}", nameof(features));
        }
        if (probabilities.Length < weights.ClassCount)
        {
            throw new ArgumentException($"need room for {weights.ClassCount} probabilities, got {probabilities.Length}", nameof(probabilities));
        }
        var current = new double[features.Length];
        for (var i = 0; i < features.Length; i++)
        {
            current[i] = ((double)features[i] - weights.Mean[i]) / weights.Std[i];
        }
        for (var l = 0; l < weights.Layers.Count; l++)
        {
            var layer = weights.Layers[l];
            var next = new double[layer.Outputs];
            for (var o = 0; o < layer.Outputs; o++)
            {
                double sum = layer.Bias[o];
                for (var i = 0; i < layer.Inputs; i++)
                {
                    sum += current[i] * layer.Weights[(i * layer.Outputs) + o];
                }
                next[o] = l < weights.Layers.Count - 1 ? Math.Max(0, sum) : sum;
            }
            current = next;
        }
        var max = double.NegativeInfinity;
        foreach (var v in current)
        {
            max = Math.Max(max, v);
        }
        double total = 0;
        for (var c = 0; c < current.Length; c++)
        {
            current[c] = Math.Exp(current[c] - max);
            total += current[c];
        }
        var best = 0;
        for (var c = 0; c < current.Length; c++)
        {
            probabilities[c] = (float)(current[c] / total);
            if (probabilities[c] > probabilities[best])
            {
                best = c;
            }
        }
        return best;
    }
}
