using System.Runtime.InteropServices;
using EdgeHub.Learning.Training;
using EdgeHub.Onnx.Protobuf;

namespace EdgeHub.Learning.Export;

/// <summary>
/// Reads the weights back out of an MLP classifier written by <see cref="ModelExporter"/> (Sub, Div, then Gemm or MatMul + Add
/// per layer with Relu between, Softmax at the end), so a registered model's ONNX bytes are all a differential retrain needs
/// to warm-start from its parent.
/// </summary>
public static class OnnxMlpReader
{
    /// <summary>The model in <paramref name="onnx"/>.</summary>
    /// <exception cref="FormatException">The bytes are not an MLP classifier of the expected shape.</exception>
    public static MlpModel Read(ReadOnlySpan<byte> onnx)
    {
        ModelProto proto;
        try
        {
            proto = ModelProto.Parser.ParseFrom(onnx);
        }
        catch (Google.Protobuf.InvalidProtocolBufferException e)
        {
            throw new FormatException($"parent model is not a valid ONNX protobuf ({e.Message}); retrain in full mode", e);
        }

        var graph = proto.Graph ?? throw new FormatException("ONNX model has no graph");
        var init = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (var t in graph.Initializer)
        {
            init[t.Name] = t;
        }

        float[]? mean = null, std = null;
        var layers = new List<MlpLayer>();
        float[]? pendingWeights = null;
        long[]? pendingDims = null;
        foreach (var node in graph.Node)
        {
            switch (node.OpType)
            {
                case "Sub" when mean is null:
                    mean = Floats(init, node.Input[1]);
                    break;
                case "Div" when std is null:
                    std = Floats(init, node.Input[1]);
                    break;
                case "Gemm":
                    foreach (var a in node.Attribute)
                    {
                        if (a.Name is "transA" or "transB" && a.I != 0 || a.Name is "alpha" or "beta" && a.F != 1f)
                        {
                            throw new FormatException($"Gemm node '{node.Name}' uses {a.Name}; only plain x·W + b layers are read back");
                        }
                    }

                    layers.Add(Layer(init, node.Input[1], Floats(init, node.Input[2])));
                    break;
                case "MatMul":
                    pendingWeights = Floats(init, node.Input[1]);
                    pendingDims = [.. init[node.Input[1]].Dims];
                    break;
                case "Add" when pendingWeights is not null:
                    var bias = Floats(init, node.Input[1]);
                    layers.Add(new MlpLayer((int)pendingDims![0], (int)pendingDims[1], pendingWeights, bias));
                    pendingWeights = null;
                    break;
                case "Relu" or "Softmax" or "ArgMax" or "Identity":
                    break;
                default:
                    throw new FormatException($"ONNX node '{node.OpType}' is not part of an EdgeHub MLP classifier; retrain in full mode");
            }
        }

        if (mean is null || std is null || layers.Count == 0)
        {
            throw new FormatException("ONNX model lacks the standardisation (Sub/Div) or dense layers of an EdgeHub MLP classifier");
        }

        try
        {
            return new MlpModel(mean, std, layers);
        }
        catch (ArgumentException e)
        {
            throw new FormatException($"ONNX MLP weights do not chain: {e.Message}", e);
        }
    }

    private static MlpLayer Layer(Dictionary<string, TensorProto> init, string weightsName, float[] bias)
    {
        var dims = init.TryGetValue(weightsName, out var t) ? t.Dims : throw new FormatException($"weights '{weightsName}' are not an initializer");
        if (dims.Count != 2)
        {
            throw new FormatException($"weights '{weightsName}' have {dims.Count} dimensions; expected [inputs, outputs]");
        }

        return new MlpLayer((int)dims[0], (int)dims[1], Floats(init, weightsName), bias);
    }

    private static float[] Floats(Dictionary<string, TensorProto> init, string name)
    {
        if (!init.TryGetValue(name, out var t))
        {
            throw new FormatException($"tensor '{name}' is not an initializer of the model");
        }

        if (t.DataType != (int)TensorProto.Types.DataType.Float)
        {
            throw new FormatException($"tensor '{name}' has data type {t.DataType}; expected FLOAT");
        }

        if (!t.RawData.IsEmpty)
        {
            // raw_data is little-endian (onnx.proto TensorProto.raw_data).
            return MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray();
        }

        return [.. t.FloatData];
    }
}
