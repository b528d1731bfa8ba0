using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeHub.Bench;

/// <summary>
/// The official managed API (Microsoft.ML.OnnxRuntime) on its allocation-free path, for the side-by-side in
/// <see cref="InferenceBench"/>: input and output buffers are pinned arrays on the pinned-object heap, wrapped once per
/// batch size in OrtValues (<c>OrtValue.CreateTensorValueFromMemory</c>), bound once per batch size to an
/// <see cref="OrtIoBinding"/>, and every run is <c>RunWithBinding</c>. (<c>Run(RunOptions, names, values, names, outputs)</c>
/// allocates its argument arrays on every call; the binding does not.)
/// </summary>
internal sealed class InferenceBenchManaged : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly string _inputName;
    private readonly string[] _outputNames;
    private readonly int[] _outputRowLengths;
    private readonly float[] _input;
    private readonly Array[] _outputs;
    private readonly OrtIoBinding?[] _bindings;
    private readonly List<OrtValue> _values = [];
    private readonly int _featureCount;

    public InferenceBenchManaged(byte[] model, int maxBatch)
    {
        using var options = new SessionOptions
        {
            IntraOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        _session = new InferenceSession(model, options);
        _inputName = _session.InputNames[0];
        _featureCount = _session.InputMetadata[_inputName].Dimensions[1];
        _input = GC.AllocateArray<float>(maxBatch * _featureCount, pinned: true);
        _outputNames = [.. _session.OutputNames];
        _outputRowLengths = new int[_outputNames.Length];
        _outputs = new Array[_outputNames.Length];
        for (var i = 0; i < _outputNames.Length; i++)
        {
            var meta = _session.OutputMetadata[_outputNames[i]];
            var row = 1;
            for (var d = 1; d < meta.Dimensions.Length; d++)
            {
                row *= meta.Dimensions[d];
            }
            _outputRowLengths[i] = row;
            _outputs[i] = meta.ElementDataType == TensorElementType.Int64
                ? GC.AllocateArray<long>(maxBatch * row, pinned: true)
                : GC.AllocateArray<float>(maxBatch * row, pinned: true);
        }
        _bindings = new OrtIoBinding?[maxBatch];
    }

    public Span<float> Input(int batch) => _input.AsSpan(0, batch * _featureCount);

    public void Run(int batch) => _session.RunWithBinding(_runOptions, _bindings[batch - 1] ??= Bind(batch));

    private OrtIoBinding Bind(int batch)
    {
        var binding = _session.CreateIoBinding();
        var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _input.AsMemory(0, batch * _featureCount), [batch, _featureCount]);
        _values.Add(input);
        binding.BindInput(_inputName, input);
        for (var i = 0; i < _outputs.Length; i++)
        {
            long[] shape = _outputRowLengths[i] == 1 && _session.OutputMetadata[_outputNames[i]].Dimensions.Length == 1
                ? [batch]
                : [batch, _outputRowLengths[i]];
            var output = _outputs[i] is long[] labels
                ? OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, labels.AsMemory(0, batch * _outputRowLengths[i]), shape)
                : OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, ((float[])_outputs[i]).AsMemory(0, batch * _outputRowLengths[i]), shape);
            _values.Add(output);
            binding.BindOutput(_outputNames[i], output);
        }
        return binding;
    }

    public void Dispose()
    {
        foreach (var binding in _bindings)
        {
            binding?.Dispose();
        }
        foreach (var value in _values)
        {
            value.Dispose();
        }
        _runOptions.Dispose();
        _session.Dispose();
    }
}
