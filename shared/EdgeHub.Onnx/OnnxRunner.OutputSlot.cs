using Microsoft.ML.OnnxRuntime;

namespace EdgeHub.Onnx;

public sealed partial class OnnxRunner
{
    /// <summary>One model output: its pinned buffer for MaxBatch rows and its per-row element count.</summary>
    private sealed class OutputSlot
    {
        private OutputSlot(OnnxTensorInfo info, int rowLength, Array buffer)
        {
            Info = info;
            RowLength = rowLength;
            Buffer = buffer;
        }

        public OnnxTensorInfo Info { get; }

        public int RowLength { get; }

        /// <summary>A pinned float[], long[], int[] or double[] of MaxBatch × RowLength elements.</summary>
        public Array Buffer { get; }

        public static OutputSlot Create(OnnxTensorInfo info, int maxBatch)
        {
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
            if (rowLength > int.MaxValue / 8 / maxBatch)
            {
                throw new ArgumentException($"model output {info} is too large for {maxBatch} rows");
            }
            var length = (int)rowLength * maxBatch;
            Array buffer = info.ElementType switch
            {
                OnnxElementType.Float => GC.AllocateArray<float>(length, pinned: true),
                OnnxElementType.Int64 => GC.AllocateArray<long>(length, pinned: true),
                OnnxElementType.Int32 => GC.AllocateArray<int>(length, pinned: true),
                OnnxElementType.Double => GC.AllocateArray<double>(length, pinned: true),
                _ => throw new ArgumentException($"model output {info} has an element type a runner cannot preallocate; use float, int64, int32 or double outputs"),
            };
            return new OutputSlot(info, (int)rowLength, buffer);
        }

        /// <summary>An OrtValue over the first <paramref name="batch"/> rows, shaped as declared with the batch dimension filled in.</summary>
        public OrtValue CreateValue(int batch)
        {
            var shape = new long[Info.Shape.Count];
            shape[0] = batch;
            for (var d = 1; d < shape.Length; d++)
            {
                shape[d] = Info.Shape[d];
            }
            var count = batch * RowLength;
            return Buffer switch
            {
                float[] f => OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, f.AsMemory(0, count), shape),
                long[] l => OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, l.AsMemory(0, count), shape),
                int[] i => OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, i.AsMemory(0, count), shape),
                _ => OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, ((double[])Buffer).AsMemory(0, count), shape),
            };
        }
    }
}
