using System.Globalization;
using Microsoft.ML.OnnxRuntime;

namespace EdgeHub.Onnx;

/// <summary>
/// Runs a model with one float input <c>[batch, features]</c> over buffers allocated once for <see cref="MaxBatch"/> rows:
/// pinned arrays wrapped in OrtValues and bound to an <see cref="OrtIoBinding"/> the first time each batch size runs, so every
/// later <see cref="Run(int)"/> is one <c>RunWithBinding</c> that allocates no managed memory (the package's
/// <c>Run(options, names, values, ...)</c> allocates its argument arrays on every call). Fill <see cref="Input"/>, call
/// <see cref="Run(int)"/>, read <see cref="Output"/>. Not thread-safe: one runner per thread (the session may be shared).
/// </summary>
public sealed partial class OnnxRunner : IDisposable
{
    private readonly OnnxSession _session;
    private readonly InferenceSession _ort;
    private readonly RunOptions _runOptions = new();
    private readonly float[] _input;
    private readonly OutputSlot[] _outputs;
    private readonly OrtIoBinding?[] _bindings;
    private readonly List<OrtValue> _values = [];
    private bool _disposed;

    internal OnnxRunner(OnnxSession session, int maxBatch)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        _session = session;
        _ort = session.Session;
        InputInfo = ValidateInput(session);
        FeatureCount = (int)InputInfo.Shape[1];
        var fixedBatch = InputInfo.Shape[0];
        if (fixedBatch >= 0 && maxBatch != fixedBatch)
        {
            throw new ArgumentException(
                $"model input {InputInfo} has a fixed batch of {fixedBatch}; create the runner with maxBatch {fixedBatch} " +
                "or export the model with a symbolic batch dimension", nameof(maxBatch));
        }
        MaxBatch = maxBatch;
        // Pinned-object heap: the arrays never move, so ORT may keep pointing at them between runs.
        _input = GC.AllocateArray<float>(maxBatch * FeatureCount, pinned: true);
        _outputs = new OutputSlot[session.Outputs.Count];
        for (var i = 0; i < _outputs.Length; i++)
        {
            _outputs[i] = OutputSlot.Create(session.Outputs[i], maxBatch);
        }
        _bindings = new OrtIoBinding?[maxBatch];
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
        return _input.AsSpan(0, batch * FeatureCount);
    }

    /// <summary>Runs the model on the first <paramref name="batch"/> rows of <see cref="Input"/>.</summary>
    /// <exception cref="OnnxInferenceException">ORT failed; the message is ORT's, with the model and the batch.</exception>
    public void Run(int batch)
    {
        CheckBatch(batch);
        var binding = _bindings[batch - 1] ??= Bind(batch);
        try
        {
            _ort.RunWithBinding(_runOptions, binding);
        }
        catch (Microsoft.ML.OnnxRuntime.OnnxRuntimeException ex)
        {
            throw new OnnxInferenceException(string.Create(CultureInfo.InvariantCulture, $"to run {_session.Name} on a batch of {batch} (input {InputInfo})"), ex);
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
    public ReadOnlySpan<float> Output(int index, int batch) => OutputSpan<float>(index, batch);

    /// <summary>Int64 output <paramref name="index"/> (for example ArgMax labels) for the last run of <paramref name="batch"/> rows.</summary>
    public ReadOnlySpan<long> OutputInt64(int index, int batch) => OutputSpan<long>(index, batch);

    /// <summary>Elements per row of output <paramref name="index"/> (classes for <c>[N, C]</c>, 1 for <c>[N]</c>).</summary>
    public int OutputRowLength(int index) => _outputs[index].RowLength;

    /// <summary>Releases the bindings and the ORT tensors over the buffers.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        foreach (var binding in _bindings)
        {
            binding?.Dispose();
        }
        foreach (var value in _values)
        {
            value.Dispose();
        }
        _runOptions.Dispose();
    }

    private ReadOnlySpan<T> OutputSpan<T>(int index, int batch)
        where T : unmanaged
    {
        CheckBatch(batch);
        var slot = _outputs[index];
        if (slot.Buffer is not T[] buffer)
        {
            throw new InvalidOperationException($"output {index} ({slot.Info}) is not {typeof(T).Name}; read it with the matching accessor");
        }
        return buffer.AsSpan(0, batch * slot.RowLength);
    }

    private void CheckBatch(int batch)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ObjectDisposedException.ThrowIf(_session.IsDisposed, _session);
        if ((uint)(batch - 1) >= (uint)MaxBatch)
        {
            ThrowBadBatch(batch);
        }
    }

    [System.Diagnostics.StackTraceHidden]
    private void ThrowBadBatch(int batch) =>
        throw new ArgumentOutOfRangeException(
            nameof(batch), batch, $"batch must be 1..{MaxBatch} rows for model input {InputInfo} (this runner was created with maxBatch {MaxBatch})");

    /// <summary>Wraps the first <paramref name="batch"/> rows of every buffer in OrtValues and binds them, once per batch size.</summary>
    private OrtIoBinding Bind(int batch)
    {
        var binding = _ort.CreateIoBinding();
        try
        {
            binding.BindInput(InputInfo.Name, Track(OrtValue.CreateTensorValueFromMemory(
                OrtMemoryInfo.DefaultInstance, _input.AsMemory(0, batch * FeatureCount), [batch, FeatureCount])));
            foreach (var slot in _outputs)
            {
                binding.BindOutput(slot.Info.Name, Track(slot.CreateValue(batch)));
            }
            return binding;
        }
        catch (Microsoft.ML.OnnxRuntime.OnnxRuntimeException ex)
        {
            binding.Dispose();
            throw new OnnxInferenceException(string.Create(CultureInfo.InvariantCulture, $"to bind the buffers of {_session.Name} for a batch of {batch}"), ex);
        }
    }

    private OrtValue Track(OrtValue value)
    {
        _values.Add(value);
        return value;
    }

    private static OnnxTensorInfo ValidateInput(OnnxSession session)
    {
        if (session.Inputs.Count != 1)
        {
            throw new ArgumentException(
                $"a runner needs a model with exactly one float input [N, features]; {session.Name} has {session.Inputs.Count}: {string.Join("; ", session.Inputs)}");
        }
        var input = session.Inputs[0];
        if (input.ElementType != OnnxElementType.Float || input.Shape.Count != 2 || input.Shape[1] <= 0)
        {
            throw new ArgumentException($"a runner needs a float input of shape [N, features] with a fixed feature count; the input of {session.Name} is {input}");
        }
        return input;
    }
}
