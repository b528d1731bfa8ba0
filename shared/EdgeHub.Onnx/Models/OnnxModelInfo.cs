using EdgeHub.Onnx.Protobuf;
using Google.Protobuf;

namespace EdgeHub.Onnx;

/// <summary>An ONNX model's identity and signature, read from its bytes without ONNX Runtime.</summary>
/// <param name="IrVersion">ONNX IR version (8 for models EdgeHub writes).</param>
/// <param name="Opsets">Imported operator sets: domain ("" is the default ai.onnx domain) → version.</param>
/// <param name="ProducerName">Tool that wrote the model.</param>
/// <param name="ProducerVersion">Version of that tool.</param>
/// <param name="ModelVersion">ModelProto.model_version (integer; 0 when unset).</param>
/// <param name="GraphName">Name of the main graph.</param>
/// <param name="DocString">Model documentation string.</param>
/// <param name="Properties">The model's <c>metadata_props</c>.</param>
/// <param name="Inputs">Graph inputs that are not initializers.</param>
/// <param name="Outputs">Graph outputs.</param>
public sealed record OnnxModelMetadata(
    long IrVersion,
    IReadOnlyDictionary<string, long> Opsets,
    string ProducerName,
    string ProducerVersion,
    long ModelVersion,
    string GraphName,
    string DocString,
    IReadOnlyDictionary<string, string> Properties,
    IReadOnlyList<OnnxTensorInfo> Inputs,
    IReadOnlyList<OnnxTensorInfo> Outputs)
{
    /// <summary>The <see cref="OnnxMetadataKeys.FeatureSchemaId"/> property, or null.</summary>
    public string? FeatureSchemaId => Properties.GetValueOrDefault(OnnxMetadataKeys.FeatureSchemaId);

    /// <summary>The default-domain opset version, or 0 when the model does not import it.</summary>
    public long DefaultOpset => Opsets.GetValueOrDefault(string.Empty);
}

/// <summary>Thrown when bytes are not a readable ONNX model.</summary>
public sealed class OnnxModelFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    public OnnxModelFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    public OnnxModelFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public OnnxModelFormatException()
        : base("not an ONNX model")
    {
    }
}

/// <summary>Reads what the edge must check before loading a model: metadata and input/output signature.</summary>
public static class OnnxModelInfo
{
    /// <summary>Parses the model's protobuf and returns its metadata and signature.</summary>
    /// <exception cref="OnnxModelFormatException">The bytes are not an ONNX model.</exception>
    public static OnnxModelMetadata Read(ReadOnlySpan<byte> model)
    {
        if (model.IsEmpty)
        {
            throw new OnnxModelFormatException("not an ONNX model: 0 bytes");
        }
        ModelProto proto;
        try
        {
            proto = ModelProto.Parser.ParseFrom(model);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new OnnxModelFormatException($"not an ONNX model ({model.Length} bytes): the protobuf does not parse: {ex.Message}", ex);
        }
        // Random bytes can parse as a message full of unknown fields; a real model always has an IR version and a graph.
        if (!proto.HasIrVersion || proto.IrVersion <= 0 || proto.Graph is null)
        {
            throw new OnnxModelFormatException(
                $"not an ONNX model ({model.Length} bytes): {(proto.Graph is null ? "no graph" : "no ir_version")} in the ModelProto");
        }

        var opsets = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var opset in proto.OpsetImport)
        {
            opsets[opset.Domain] = opset.Version;
        }
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in proto.MetadataProps)
        {
            properties[entry.Key] = entry.Value;
        }
        var initializers = new HashSet<string>(StringComparer.Ordinal);
        foreach (var initializer in proto.Graph.Initializer)
        {
            initializers.Add(initializer.Name);
        }
        var inputs = new List<OnnxTensorInfo>();
        foreach (var input in proto.Graph.Input)
        {
            // Before IR 4 initializers also had to be listed as inputs; they are weights, not part of the signature.
            if (!initializers.Contains(input.Name))
            {
                inputs.Add(ToTensorInfo(input));
            }
        }
        var outputs = new List<OnnxTensorInfo>();
        foreach (var output in proto.Graph.Output)
        {
            outputs.Add(ToTensorInfo(output));
        }
        return new OnnxModelMetadata(
            proto.IrVersion, opsets, proto.ProducerName, proto.ProducerVersion, proto.ModelVersion, proto.Graph.Name,
            proto.DocString, properties, inputs, outputs);
    }

    private static OnnxTensorInfo ToTensorInfo(ValueInfoProto value)
    {
        if (value.Type?.TensorType is not { } tensor)
        {
            return new OnnxTensorInfo(value.Name, OnnxElementType.Undefined, [], []);
        }
        var dims = tensor.Shape?.Dim;
        var shape = new long[dims?.Count ?? 0];
        var names = new string[shape.Length];
        for (var i = 0; i < shape.Length; i++)
        {
            var dim = dims![i];
            shape[i] = dim.HasDimValue ? dim.DimValue : -1;
            names[i] = dim.HasDimParam ? dim.DimParam : string.Empty;
        }
        return new OnnxTensorInfo(value.Name, (OnnxElementType)tensor.ElemType, shape, names);
    }
}
