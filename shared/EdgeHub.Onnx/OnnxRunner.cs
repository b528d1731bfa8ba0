using System.Globalization;
using System.Runtime.InteropServices;
using EdgeHub.Onnx.Native;

namespace EdgeHub.Onnx;

/// <summary>
/// Runs a model with one float input <c>[batch, features]</c> over buffers allocated once for <see cref="MaxBatch"/> rows.
/// Fill <see cref="Input"/>, call <see cref="Run(int)"/>, read <see cref="Output"/>: in steady state no managed memory is
/// allocated (the ORT tensors wrapping the buffers are created on first use of each batch size, then kept).
/// Not thread-safe: one runner per thread (the session itself may be shared).
/// </summary>
public sealed unsafe partial class OnnxRunner : IDisposable
{
    private readonly OnnxSession _session;
    private readonly OrtApi _api;
    private readonly OrtRuntime _runtime;
    private readonly long _fixedBatch;
    private readonly NativeBuffer _input;
    private readonly OutputSlot[] _outputs;
    private readonly NativeBuffer _callBlock;
    private readonly nint* _inputNames;
    private readonly nint* _inputValuesArg;
    private readonly nint* _outputNames;
    private readonly nint* _outputValuesArg;
    private readonly OrtHandle?[] _inputValues;
    private readonly OrtHandle[]?[] _outputValues;
    private bool _disposed;

    internal OnnxRunner(OnnxSession session, int maxBatch)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        _session = session;
        _runtime = session.Runtime;
        _api = _runtime.Api;
        InputInfo = ValidateInput(session);
        FeatureCount = (int)InputInfo.Shape[1];
        _fixedBatch = InputInfo.Shape[0];
        if (_fixedBatch >= 0 && maxBatch != _fixedBatch)
        {
            throw new ArgumentException(
                $"model input {InputInfo} has a fixed batch of {_fixedBatch}; create the runner with maxBatch {_fixedBatch} " +
                "or export the model with a symbolic batch dimension", nameof(maxBatch));
        }
        MaxBatch = maxBatch;
        _input = new NativeBuffer((nuint)maxBatch * (nuint)FeatureCount * sizeof(float));
        _outputs = new OutputSlot[session.Outputs.Count];
        for (var i = 0; i < _outputs.Length; i++)
        {
            _outputs[i] = OutputSlot.Create(session.Outputs[i], maxBatch);
        }
        _inputValues = new OrtHandle?[maxBatch];
        _outputValues = new OrtHandle[]?[maxBatch];

        // One native block for the argument arrays of OrtApi::Run and the UTF-8 names they point to.
        var names = new List<byte[]> { NullTerminated(InputInfo.Name) };
        foreach (var output in session.Outputs)
        {
            names.Add(NullTerminated(output.Name));
        }
        var pointerBytes = (nuint)(2 + 2 * _outputs.Length) * (nuint)sizeof(nint);
        nuint nameBytes = 0;
        foreach (var name in names)
        {
            nameBytes += (nuint)name.Length;
        }
        _callBlock = new NativeBuffer(pointerBytes + nameBytes);
        var slots = (nint*)_callBlock.Pointer;
        _inputNames = slots;
        _inputValuesArg = slots + 1;
        _outputNames = slots + 2;
        _outputValuesArg = slots + 2 + _outputs.Length;
        var text = (byte*)_callBlock.Pointer + pointerBytes;
        for (var i = 0; i < names.Count; i++)
        {
            names[i].CopyTo(new Span<byte>(text, names[i].Length));
            if (i == 0)
            {
                _inputNames[0] = (nint)text;
            }
            else
            {
                _outputNames[i - 1] = (nint)text;
            }
            text += names[i].Length;
        }
    }

    /// <summary>Largest batch this runner accepts.</summary>
    public int MaxBatch { get; }

    /// <summary>Floats per input row (the model's second input dimension).</summary>
    public int FeatureCount { get; }

    /// <summary>The model input the runner feeds.</summary>
    public OnnxTensorInfo InputInfo { get; }

    /// <summary>The model outputs, in the order <see cref="Output"/> indexes them.</summary>
    public IReadOnlyList<OnnxTensorInfo> Outputs => _session.Outputs;

    /// <summary>The input rows for a batch of <paramref name="batch"/> rows, row-major <c>[batch, FeatureCount]</c>.</summary>
    public Span<float> Input(int batch)
    {
        CheckBatch(batch);
        return new Span<float>(_input.Pointer, batch * FeatureCount);
    }

    /// <summary>Runs the model on the first <paramref name="batch"/> rows of <see cref="Input"/>.</summary>
    /// <exception cref="OnnxRuntimeException">ORT failed; the message is ORT's.</exception>
    public void Run(int batch)
    {
        CheckBatch(batch);
        var inputs = _inputValues[batch - 1] ??= CreateTensor(_input.Pointer, OnnxElementType.Float, sizeof(float), InputInfo.Shape, batch, FeatureCount);
        var outputs = _outputValues[batch - 1] ??= CreateOutputTensors(batch);
        var session = _session.Handle;
        var addedRef = false;
        try
        {
            // Guards against the session being disposed on another thread while ORT is inside Run.
            session.DangerousAddRef(ref addedRef);
            _inputValuesArg[0] = inputs.Pointer;
            for (var i = 0; i < outputs.Length; i++)
            {
                _outputValuesArg[i] = outputs[i].Pointer;
            }
            var status = _api.Run(session.DangerousGetHandle(), 0, _inputNames, _inputValuesArg, 1, _outputNames, (nuint)_outputs.Length, _outputValuesArg);
            if (status != 0)
            {
                _api.Throw(status, string.Create(CultureInfo.InvariantCulture, $"to run the model on a batch of {batch} (input {InputInfo})"));
            }
        }
        finally
        {
            if (addedRef)
            {
                session.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// Copies whole rows into the input and runs them: <paramref name="rows"/> holds <c>batch × FeatureCount</c> floats.
    /// Returns the batch size. A length that is not a whole number of rows is rejected with the expected shape.
    /// </summary>
    public int Run(ReadOnlySpan<float> rows)
    {
        if (rows.Length == 0 || rows.Length % FeatureCount != 0 || rows.Length / FeatureCount > MaxBatch)
        {
            throw new ArgumentException(
                $"model input {InputInfo} expects shape [N, {FeatureCount}] with 1 ≤ N ≤ {MaxBatch} rows of {FeatureCount} floats; got {rows.Length} floats",
                nameof(rows));
        }
        var batch = rows.Length / FeatureCount;
        rows.CopyTo(Input(batch));
        Run(batch);
        return batch;
    }

    /// <summary>Float output <paramref name="index"/> for the last run of <paramref name="batch"/> rows, row-major.</summary>
    public ReadOnlySpan<float> Output(int index, int batch) => OutputSpan<float>(index, batch, OnnxElementType.Float);

    /// <summary>Int64 output <paramref name="index"/> (for example ArgMax labels) for the last run of <paramref name="batch"/> rows.</summary>
    public ReadOnlySpan<long> OutputInt64(int index, int batch) => OutputSpan<long>(index, batch, OnnxElementType.Int64);

    /// <summary>Elements per row of output <paramref name="index"/> (classes for <c>[N, C]</c>, 1 for <c>[N]</c>).</summary>
    public int OutputRowLength(int index) => _outputs[index].RowLength;

    /// <summary>Releases the ORT tensors and the buffers.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        foreach (var value in _inputValues)
        {
            value?.Dispose();
        }
        foreach (var values in _outputValues)
        {
            if (values != null)
            {
                foreach (var value in values)
                {
                    value.Dispose();
                }
            }
        }
        foreach (var output in _outputs)
        {
            output.Buffer.Dispose();
        }
        _input.Dispose();
        _callBlock.Dispose();
    }

    private ReadOnlySpan<T> OutputSpan<T>(int index, int batch, OnnxElementType type)
        where T : unmanaged
    {
        CheckBatch(batch);
        var slot = _outputs[index];
        if (slot.Info.ElementType != type)
        {
            throw new InvalidOperationException($"output {index} ({slot.Info}) is not {type.ToString().ToLowerInvariant()}; read it with the matching accessor");
        }
        return new ReadOnlySpan<T>(slot.Buffer.Pointer, batch * slot.RowLength);
    }

    private void CheckBatch(int batch)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if ((uint)(batch - 1) >= (uint)MaxBatch)
        {
            ThrowBadBatch(batch);
        }
    }

    [System.Diagnostics.StackTraceHidden]
    private void ThrowBadBatch(int batch) =>
        throw new ArgumentOutOfRangeException(
            nameof(batch), batch, $"batch must be 1..{MaxBatch} rows for model input {InputInfo} (this runner was created with maxBatch {MaxBatch})");

    private OrtHandle[] CreateOutputTensors(int batch)
    {
        var values = new OrtHandle[_outputs.Length];
        for (var i = 0; i < values.Length; i++)
        {
            var slot = _outputs[i];
            values[i] = CreateTensor(slot.Buffer.Pointer, slot.Info.ElementType, slot.ElementSize, slot.Info.Shape, batch, slot.RowLength);
        }
        return values;
    }

    /// <summary>
    /// Wraps <paramref name="rowLength"/> × <paramref name="batch"/> elements of our buffer in an OrtValue whose shape is
    /// <paramref name="declared"/> with the first (batch) dimension replaced by <paramref name="batch"/>.
    /// </summary>
    private OrtHandle CreateTensor(void* data, OnnxElementType type, int elementSize, IReadOnlyList<long> declared, int batch, int rowLength)
    {
        var rank = declared.Count;
        var shape = stackalloc long[rank];
        shape[0] = batch;
        for (var d = 1; d < rank; d++)
        {
            shape[d] = declared[d];
        }
        var bytes = (nuint)batch * (nuint)rowLength * (nuint)elementSize;
        nint value;
        _api.Check(
            _api.CreateTensorWithDataAsOrtValue(_runtime.CpuMemoryInfo.Pointer, data, bytes, shape, (nuint)rank, (int)type, &value),
            "to wrap a runner buffer in a tensor");
        return new OrtHandle(_api, OrtObjectKind.Value, value);
    }

    private static byte[] NullTerminated(string text)
    {
        var bytes = new byte[System.Text.Encoding.UTF8.GetByteCount(text) + 1];
        System.Text.Encoding.UTF8.GetBytes(text, bytes);
        return bytes;
    }

    private static OnnxTensorInfo ValidateInput(OnnxSession session)
    {
        if (session.Inputs.Count != 1)
        {
            throw new ArgumentException(
                $"a runner needs a model with exactly one float input [N, features]; this model has {session.Inputs.Count}: {string.Join("; ", session.Inputs)}");
        }
        var input = session.Inputs[0];
        if (input.ElementType != OnnxElementType.Float || input.Shape.Count != 2 || input.Shape[1] <= 0)
        {
            throw new ArgumentException($"a runner needs a float input of shape [N, features] with a fixed feature count; the model's input is {input}");
        }
        return input;
    }
}
