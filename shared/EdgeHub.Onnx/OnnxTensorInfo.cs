using System.Globalization;
using System.Text;

namespace EdgeHub.Onnx;

/// <summary>Tensor element types; the values are ONNX's <c>TensorProto.DataType</c>, which ORT's enum mirrors.</summary>
public enum OnnxElementType
{
    /// <summary>Not a tensor, or unknown.</summary>
    Undefined = 0,
    /// <summary>32-bit float.</summary>
    Float = 1,
    /// <summary>Unsigned byte.</summary>
    UInt8 = 2,
    /// <summary>Signed byte.</summary>
    Int8 = 3,
    /// <summary>Unsigned 16-bit integer.</summary>
    UInt16 = 4,
    /// <summary>Signed 16-bit integer.</summary>
    Int16 = 5,
    /// <summary>Signed 32-bit integer.</summary>
    Int32 = 6,
    /// <summary>Signed 64-bit integer.</summary>
    Int64 = 7,
    /// <summary>UTF-8 string.</summary>
    String = 8,
    /// <summary>Boolean.</summary>
    Bool = 9,
    /// <summary>IEEE half precision.</summary>
    Float16 = 10,
    /// <summary>64-bit float.</summary>
    Double = 11,
    /// <summary>Unsigned 32-bit integer.</summary>
    UInt32 = 12,
    /// <summary>Unsigned 64-bit integer.</summary>
    UInt64 = 13,
    /// <summary>Complex of two floats.</summary>
    Complex64 = 14,
    /// <summary>Complex of two doubles.</summary>
    Complex128 = 15,
    /// <summary>Brain float 16.</summary>
    BFloat16 = 16,
}

/// <summary>
/// A model input or output: name, element type and shape. A dimension of -1 is symbolic (unknown until run time);
/// <see cref="DimensionNames"/> holds its name ("N") where the model gives one, or an empty string.
/// </summary>
public sealed record OnnxTensorInfo(string Name, OnnxElementType ElementType, IReadOnlyList<long> Shape, IReadOnlyList<string> DimensionNames)
{
    /// <summary>The shape as people read it, symbolic dimensions by name: "[N, 32]" (or "[?, 32]" when unnamed).</summary>
    public string ShapeText
    {
        get
        {
            var text = new StringBuilder("[");
            for (var i = 0; i < Shape.Count; i++)
            {
                if (i > 0)
                {
                    text.Append(", ");
                }
                if (Shape[i] >= 0)
                {
                    text.Append(Shape[i].ToString(CultureInfo.InvariantCulture));
                }
                else
                {
                    text.Append(i < DimensionNames.Count && DimensionNames[i].Length > 0 ? DimensionNames[i] : "?");
                }
            }
            return text.Append(']').ToString();
        }
    }

    /// <summary>"features: float [N, 32]".</summary>
    public override string ToString() => $"{Name}: {ElementType.ToString().ToLowerInvariant()} {ShapeText}";
}
