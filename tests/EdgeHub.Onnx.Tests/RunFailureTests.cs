using EdgeHub.Onnx.Protobuf;
using Google.Protobuf;

namespace EdgeHub.Onnx.Tests;

/// <summary>Models that load but cannot run, or do not fit a runner: errors reach the caller with ORT's message; nothing stays broken.</summary>
public sealed class RunFailureTests
{
    /// <summary>x [N, 4] → Reshape to [-1, 3]: loads fine, fails in ORT whenever 4·N is not a multiple of 3 or the output shape differs.</summary>
    private static byte[] ReshapeThatFails()
    {
        var builder = new OnnxModelBuilder("bad_reshape");
        var x = builder.AddInput("x", OnnxElementType.Float, -1, 4);
        builder.Relu(x, output: "placeholder");
        builder.AddOutput("placeholder", OnnxElementType.Float, -1, 4);
        var model = builder.Build();
        // The builder only writes graphs that work; swap its node and output for a Reshape that cannot.
        model.Graph.Node.Clear();
        model.Graph.Output.Clear();
        var shape = new TensorProto { Name = "shape", DataType = (int)TensorProto.Types.DataType.Int64 };
        shape.Dims.Add(2);
        shape.Int64Data.Add([-1, 3]);
        model.Graph.Initializer.Add(shape);
        var node = new NodeProto { OpType = "Reshape", Name = "reshape" };
        node.Input.Add(["x", "shape"]);
        node.Output.Add("y");
        model.Graph.Node.Add(node);
        var y = new TypeProto.Types.Tensor { ElemType = (int)OnnxElementType.Float, Shape = new TensorShapeProto() };
        y.Shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "N" });
        y.Shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = 3 });
        model.Graph.Output.Add(new ValueInfoProto { Name = "y", Type = new TypeProto { TensorType = y } });
        return model.ToByteArray();
    }

    [Fact]
    public void Runner_OrtRunFails_ThrowsWithOrtMessageAndBatch()
    {
        using var session = OnnxSession.FromBytes(ReshapeThatFails());
        using var runner = session.CreateRunner(4);
        var ex = Assert.Throws<OnnxInferenceException>(() => runner.Run(1));
        Assert.False(string.IsNullOrWhiteSpace(ex.OrtMessage));
        Assert.Contains(ex.OrtMessage, ex.Message, StringComparison.Ordinal);
        Assert.Contains("batch of 1", ex.Message, StringComparison.Ordinal);
        Assert.Contains("x: float [N, 4]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CreateRunner_TwoInputs_ListsThem()
    {
        var builder = new OnnxModelBuilder();
        var a = builder.AddInput("a", OnnxElementType.Float, -1, 3);
        var b = builder.AddInput("b", OnnxElementType.Float, -1, 3);
        builder.Add(a, b, output: "sum");
        builder.AddOutput("sum", OnnxElementType.Float, -1, 3);
        using var session = OnnxSession.FromBytes(builder.ToBytes());
        var ex = Assert.Throws<ArgumentException>(() => session.CreateRunner(4));
        Assert.Contains("a: float [N, 3]; b: float [N, 3]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CreateRunner_FixedBatchModel_NeedsMatchingMaxBatch()
    {
        var builder = new OnnxModelBuilder();
        var x = builder.AddInput("x", OnnxElementType.Float, 1, 3);
        builder.Relu(x, output: "y");
        builder.AddOutput("y", OnnxElementType.Float, 1, 3);
        using var session = OnnxSession.FromBytes(builder.ToBytes());
        var ex = Assert.Throws<ArgumentException>(() => session.CreateRunner(8));
        Assert.Contains("fixed batch of 1", ex.Message, StringComparison.Ordinal);
        using var runner = session.CreateRunner(1);
        runner.Run([-1f, 0f, 2f]);
        Assert.Equal([0f, 0f, 2f], runner.Output(0, 1).ToArray());
    }
}
