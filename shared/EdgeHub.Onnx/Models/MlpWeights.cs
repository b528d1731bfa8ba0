using System.Globalization;

namespace EdgeHub.Onnx;

/// <summary>
/// One fully connected layer: <c>y = x · W + b</c> with <see cref="Weights"/> row-major <c>[Inputs, Outputs]</c>
/// (row i holds the weights from input i) and <see cref="Bias"/> of length <see cref="Outputs"/>.
/// </summary>
public sealed record DenseLayer(int Inputs, int Outputs, float[] Weights, float[] Bias);

/// <summary>
/// A multilayer perceptron classifier: inputs are standardised with <see cref="Mean"/> and <see cref="Std"/>, hidden layers
/// use ReLU, the last layer's outputs go through softmax. Logistic regression is the case with one layer.
/// </summary>
public sealed record MlpWeights(float[] Mean, float[] Std, IReadOnlyList<DenseLayer> Layers)
{
    /// <summary>Number of input features.</summary>
    public int FeatureCount => Mean.Length;

    /// <summary>Number of classes (outputs of the last layer).</summary>
    public int ClassCount => Layers.Count == 0 ? 0 : Layers[^1].Outputs;

    /// <summary>"32-64-32-5": features, then each layer's outputs.</summary>
    public string Architecture
    {
        get
        {
            var parts = new string[Layers.Count + 1];
            parts[0] = FeatureCount.ToString(CultureInfo.InvariantCulture);
            for (var i = 0; i < Layers.Count; i++)
            {
                parts[i + 1] = Layers[i].Outputs.ToString(CultureInfo.InvariantCulture);
            }
            return string.Join('-', parts);
        }
    }

    /// <summary>Checks sizes chain together and every number is finite; throws <see cref="ArgumentException"/> saying what is wrong.</summary>
    public void Validate()
    {
        if (Mean is null || Std is null || Layers is null)
        {
            throw new ArgumentException("MLP weights need Mean, Std and Layers");
        }
        if (Mean.Length == 0 || Mean.Length != Std.Length)
        {
            throw new ArgumentException($"MLP standardisation needs one mean and one std per feature; got {Mean.Length} means and {Std.Length} stds");
        }
        for (var i = 0; i < Std.Length; i++)
        {
            if (!float.IsFinite(Mean[i]) || !float.IsFinite(Std[i]) || Std[i] <= 0)
            {
                throw new ArgumentException(
                    $"feature {i}: mean {Mean[i]} / std {Std[i]} cannot standardise (std must be finite and > 0; use 1 for a constant feature)");
            }
        }
        if (Layers.Count == 0)
        {
            throw new ArgumentException("an MLP needs at least one layer (one layer is logistic regression)");
        }
        var inputs = Mean.Length;
        for (var l = 0; l < Layers.Count; l++)
        {
            var layer = Layers[l] ?? throw new ArgumentException($"layer {l} is null");
            if (layer.Inputs != inputs)
            {
                throw new ArgumentException($"layer {l} takes {layer.Inputs} inputs but receives {inputs} (features or the previous layer's outputs)");
            }
            if (layer.Outputs <= 0 || layer.Weights is null || layer.Bias is null
                || layer.Weights.Length != (long)layer.Inputs * layer.Outputs || layer.Bias.Length != layer.Outputs)
            {
                throw new ArgumentException(
                    $"layer {l} is {layer.Inputs}→{layer.Outputs} and needs {(long)layer.Inputs * layer.Outputs} weights [Inputs, Outputs] and {layer.Outputs} biases; " +
                    $"got {layer.Weights?.Length ?? 0} weights and {layer.Bias?.Length ?? 0} biases");
            }
            CheckFinite(layer.Weights, l, "weight");
            CheckFinite(layer.Bias, l, "bias");
            inputs = layer.Outputs;
        }
        if (inputs < 2)
        {
            throw new ArgumentException($"the last layer has {inputs} output; a softmax classifier needs at least 2 classes (use 2 outputs for a binary model)");
        }
    }

    private static void CheckFinite(float[] values, int layer, string what)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                throw new ArgumentException($"layer {layer} {what} {i} is {values[i]}; every weight must be finite");
            }
        }
    }
}
