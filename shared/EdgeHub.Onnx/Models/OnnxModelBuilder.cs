using System.Globalization;
using System.Runtime.InteropServices;
using EdgeHub.Onnx.Protobuf;
using Google.Protobuf;

namespace EdgeHub.Onnx;

/// <summary>
/// Writes standard ONNX graphs (IR version 8, default-domain opset 17) from a few building blocks: standardisation
/// (Sub/Div), Gemm or MatMul + Add, Relu, Sigmoid, Softmax and ArgMax. Each operation returns the name of the tensor it
/// produces, to feed the next. Weights become initializers stored as little-endian <c>raw_data</c>.
/// </summary>
public sealed class OnnxModelBuilder
{
    /// <summary>ONNX IR version written (onnx.proto <c>Version.IR_VERSION</c> 8, ONNX 1.10–1.12).</summary>
    public const long IrVersion = 8;

    /// <summary>Default-domain ("ai.onnx") opset written.</summary>
    public const long OpsetVersion = 17;

    /// <summary>Name of the symbolic batch dimension in declared shapes.</summary>
    public const string BatchDimension = "N";

    private readonly GraphProto _graph;
    private readonly HashSet<string> _tensors = new(StringComparer.Ordinal);
    private int _counter;

    /// <summary>Starts an empty graph named <paramref name="graphName"/>.</summary>
    public OnnxModelBuilder(string graphName = "edgehub")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(graphName);
        _graph = new GraphProto { Name = graphName };
    }

    /// <summary>Written to <c>producer_name</c>.</summary>
    public string ProducerName { get; set; } = "EdgeHub";

    /// <summary>Written to <c>producer_version</c>.</summary>
    public string ProducerVersion { get; set; } = "1.0";

    /// <summary>Written to <c>model_version</c> (an integer in ONNX; string versions go to metadata).</summary>
    public long ModelVersion { get; set; }

    /// <summary>Written to the model's <c>doc_string</c> when not null.</summary>
    public string? DocString { get; set; }

    /// <summary>Key/value pairs written to <c>metadata_props</c> (see <see cref="OnnxMetadataKeys"/>).</summary>
    public IDictionary<string, string> Metadata { get; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Declares a graph input. A dimension of -1 becomes the symbolic batch dimension <c>N</c>.</summary>
    public string AddInput(string name, OnnxElementType type, params long[] shape)
    {
        Declare(name);
        _graph.Input.Add(ValueInfo(name, type, shape));
        return name;
    }

    /// <summary>Declares an existing tensor as a graph output with its type and shape (-1 = the batch dimension <c>N</c>).</summary>
    public void AddOutput(string tensor, OnnxElementType type, params long[] shape)
    {
        if (!_tensors.Contains(tensor))
        {
            throw new ArgumentException($"no tensor named '{tensor}' is produced by this graph", nameof(tensor));
        }
        _graph.Output.Add(ValueInfo(tensor, type, shape));
    }

    /// <summary>Adds a float constant (initializer) of the given shape and returns its name.</summary>
    public string Constant(string name, ReadOnlySpan<float> values, params long[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        long count = 1;
        foreach (var d in shape)
        {
            count *= d;
        }
        if (count != values.Length)
        {
            throw new ArgumentException($"constant '{name}' has shape [{string.Join(", ", shape)}] ({count} values) but {values.Length} values were given");
        }
        Declare(name);
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.Add(shape);
        // raw_data is little-endian by definition (onnx.proto TensorProto.raw_data); so is every platform .NET runs on here.
        tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values));
        _graph.Initializer.Add(tensor);
        return name;
    }

    /// <summary><c>(x - mean) / std</c> per feature, as ONNX Sub then Div with broadcast <c>[F]</c> constants.</summary>
    public string Standardize(string x, ReadOnlySpan<float> mean, ReadOnlySpan<float> std, string? output = null)
    {
        var meanName = Constant(Unique("mean"), mean, mean.Length);
        var stdName = Constant(Unique("std"), std, std.Length);
        return Div(Sub(x, meanName), stdName, output);
    }

    /// <summary>A dense layer <c>x · W + b</c> with W row-major <c>[inputs, outputs]</c>, as one Gemm (or MatMul + Add).</summary>
    public string Dense(string x, int inputs, int outputs, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, bool useGemm = true, string? output = null)
    {
        var w = Constant(Unique("W"), weights, inputs, outputs);
        var b = Constant(Unique("B"), bias, outputs);
        return useGemm ? Gemm(x, w, b, output: output) : Add(MatMul(x, w), b, output);
    }

    /// <summary>ONNX Gemm: <c>alpha · A' · B' + beta · C</c> (defaults alpha = beta = 1, no transposes).</summary>
    public string Gemm(string a, string b, string c, bool transposeB = false, string? output = null)
    {
        var node = Node("Gemm", output, a, b, c);
        if (transposeB)
        {
            node.Attribute.Add(IntAttribute("transB", 1));
        }
        return node.Output[0];
    }

    /// <summary>ONNX MatMul.</summary>
    public string MatMul(string a, string b, string? output = null) => Node("MatMul", output, a, b).Output[0];

    /// <summary>ONNX Add (numpy broadcasting).</summary>
    public string Add(string a, string b, string? output = null) => Node("Add", output, a, b).Output[0];

    /// <summary>ONNX Sub (numpy broadcasting).</summary>
    public string Sub(string a, string b, string? output = null) => Node("Sub", output, a, b).Output[0];

    /// <summary>ONNX Div (numpy broadcasting).</summary>
    public string Div(string a, string b, string? output = null) => Node("Div", output, a, b).Output[0];

    /// <summary>ONNX Relu.</summary>
    public string Relu(string x, string? output = null) => Node("Relu", output, x).Output[0];

    /// <summary>ONNX Sigmoid.</summary>
    public string Sigmoid(string x, string? output = null) => Node("Sigmoid", output, x).Output[0];

    /// <summary>ONNX Softmax along <paramref name="axis"/> (opset 13+ semantics: one axis, not flattened).</summary>
    public string Softmax(string x, long axis = -1, string? output = null)
    {
        var node = Node("Softmax", output, x);
        node.Attribute.Add(IntAttribute("axis", axis));
        return node.Output[0];
    }

    /// <summary>ONNX ArgMax along <paramref name="axis"/> producing int64 indices (first index on ties).</summary>
    public string ArgMax(string x, long axis = -1, bool keepDims = false, string? output = null)
    {
        var node = Node("ArgMax", output, x);
        node.Attribute.Add(IntAttribute("axis", axis));
        node.Attribute.Add(IntAttribute("keepdims", keepDims ? 1 : 0));
        return node.Output[0];
    }

    /// <summary>Assembles the <c>ModelProto</c>.</summary>
    public ModelProto Build()
    {
        if (_graph.Output.Count == 0)
        {
            throw new InvalidOperationException("the graph has no outputs; call AddOutput for the tensors the model returns");
        }
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = ProducerName,
            ProducerVersion = ProducerVersion,
            ModelVersion = ModelVersion,
            Graph = _graph.Clone(),
        };
        if (DocString != null)
        {
            model.DocString = DocString;
        }
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = OpsetVersion });
        foreach (var (key, value) in Metadata)
        {
            if (string.IsNullOrEmpty(key))
            {
                throw new InvalidOperationException("metadata keys must not be empty");
            }
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value ?? string.Empty });
        }
        return model;
    }

    /// <summary>Serializes the model to .onnx bytes.</summary>
    public byte[] ToBytes() => Build().ToByteArray();

    private NodeProto Node(string opType, string? output, params string[] inputs)
    {
        foreach (var input in inputs)
        {
            if (!_tensors.Contains(input))
            {
                throw new ArgumentException($"{opType} input '{input}' is not an input, constant or earlier output of this graph");
            }
        }
        var name = output ?? Unique(opType.ToLowerInvariant());
        Declare(name);
        var node = new NodeProto { OpType = opType, Name = Unique(opType) + "_node" };
        node.Input.Add(inputs);
        node.Output.Add(name);
        _graph.Node.Add(node);
        return node;
    }

    private static AttributeProto IntAttribute(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static ValueInfoProto ValueInfo(string name, OnnxElementType type, long[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var tensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = new TensorShapeProto() };
        foreach (var d in shape)
        {
            tensorType.Shape.Dim.Add(d < 0 ? new TensorShapeProto.Types.Dimension { DimParam = BatchDimension } : new TensorShapeProto.Types.Dimension { DimValue = d });
        }
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensorType } };
    }

    private void Declare(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!_tensors.Add(name))
        {
            throw new ArgumentException($"tensor name '{name}' is already used in this graph", nameof(name));
        }
    }

    private string Unique(string prefix) => string.Create(CultureInfo.InvariantCulture, $"{prefix}_{_counter++}");
}
