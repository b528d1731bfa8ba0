using System.Globalization;

namespace EdgeHub.Onnx;

/// <summary>Ready-made models the hub trains and the edge runs.</summary>
public static class OnnxModelFactory
{
    /// <summary>Name of the classifier input, float <c>[N, F]</c> (raw features; the model standardises them).</summary>
    public const string FeaturesInput = "features";

    /// <summary>Name of the softmax output, float <c>[N, C]</c>.</summary>
    public const string ProbabilitiesOutput = "probabilities";

    /// <summary>Name of the ArgMax output, int64 <c>[N]</c>.</summary>
    public const string LabelOutput = "label";

    /// <summary>
    /// Writes an MLP classifier: input <c>features</c> float <c>[N, F]</c>, standardised with Sub/Div, one Gemm per layer
    /// (ReLU between layers), softmax to <c>probabilities</c> float <c>[N, C]</c>, ArgMax to <c>label</c> int64 <c>[N]</c>.
    /// <paramref name="metadata"/> goes to <c>metadata_props</c> (an integer <c>model_version</c> also to <c>ModelProto.model_version</c>),
    /// with <see cref="OnnxMetadataKeys.Architecture"/> added.
    /// </summary>
    /// <exception cref="ArgumentException">The weights do not chain or are not finite.</exception>
    public static byte[] CreateMlpClassifier(MlpWeights w, IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(metadata);
        w.Validate();
        var builder = new OnnxModelBuilder("edgehub_mlp")
        {
            DocString = $"EdgeHub MLP classifier {w.Architecture}: standardise, Gemm layers with ReLU, softmax, argmax.",
        };
        foreach (var (key, value) in metadata)
        {
            builder.Metadata[key] = value;
        }
        builder.Metadata[OnnxMetadataKeys.Architecture] = w.Architecture;
        if (metadata.TryGetValue(OnnxMetadataKeys.ModelVersion, out var version)
            && long.TryParse(version, NumberStyles.Integer, CultureInfo.InvariantCulture, out var numeric))
        {
            builder.ModelVersion = numeric;
        }

        var x = builder.AddInput(FeaturesInput, OnnxElementType.Float, -1, w.FeatureCount);
        x = builder.Standardize(x, w.Mean, w.Std);
        for (var l = 0; l < w.Layers.Count; l++)
        {
            var layer = w.Layers[l];
            x = builder.Dense(x, layer.Inputs, layer.Outputs, layer.Weights, layer.Bias);
            if (l < w.Layers.Count - 1)
            {
                x = builder.Relu(x);
            }
        }
        var probabilities = builder.Softmax(x, axis: 1, output: ProbabilitiesOutput);
        builder.ArgMax(probabilities, axis: 1, keepDims: false, output: LabelOutput);
        builder.AddOutput(ProbabilitiesOutput, OnnxElementType.Float, -1, w.ClassCount);
        builder.AddOutput(LabelOutput, OnnxElementType.Int64, -1);
        return builder.ToBytes();
    }
}
