using EdgeHub.Onnx.Native;

namespace EdgeHub.Onnx;

public sealed partial class OnnxRunner
{
    /// <summary>One model output: its preallocated buffer for MaxBatch rows and its per-row element count.</summary>
    private sealed class OutputSlot
    {
        private OutputSlot(OnnxTensorInfo info, int rowLength, int elementSize, NativeBuffer buffer)
        {
            Info = info;
            RowLength = rowLength;
            ElementSize = elementSize;
            Buffer = buffer;
        }

        public OnnxTensorInfo Info { get; }

        public int RowLength { get; }

        public int ElementSize { get; }

        public NativeBuffer Buffer { get; }

        public static OutputSlot Create(OnnxTensorInfo info, int maxBatch)
        {
            var elementSize = info.ElementType switch
            {
                OnnxElementType.Float or OnnxElementType.Int32 or OnnxElementType.UInt32 => 4,
                OnnxElementType.Int64 or OnnxElementType.UInt64 or OnnxElementType.Double => 8,
                OnnxElementType.Int16 or OnnxElementType.UInt16 or OnnxElementType.Float16 or OnnxElementType.BFloat16 => 2,
                OnnxElementType.Int8 or OnnxElementType.UInt8 or OnnxElementType.Bool => 1,
                _ => throw new ArgumentException($"model output {info} has an element type a runner cannot preallocate; use numeric outputs"),
            };
            if (info.Shape.Count == 0)
            {
                throw new ArgumentException($"model output {info} is a scalar; a runner needs outputs whose first dimension is the batch");
            }
            var rowLength = 1L;
            for (var d = 1; d < info.Shape.Count; d++)
            {
                if (info.Shape[d] < 0)
                {
                    throw new ArgumentException(
                        $"model output {info} has a symbolic dimension after the batch; a runner preallocates outputs and needs every other dimension fixed");
                }
                rowLength *= info.Shape[d];
            }
            if (rowLength > int.MaxValue / maxBatch / elementSize)
            {
                throw new ArgumentException($"model output {info} is too large for {maxBatch} rows");
            }
            return new OutputSlot(info, (int)rowLength, elementSize, new NativeBuffer((nuint)(maxBatch * rowLength * elementSize)));
        }
    }
}
