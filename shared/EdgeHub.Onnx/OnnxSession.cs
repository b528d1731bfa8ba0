using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using EdgeHub.Onnx.Native;

namespace EdgeHub.Onnx;

/// <summary>
/// One loaded model in ONNX Runtime. Thread-safe for concurrent runs (ORT guarantees that for <c>Run</c>);
/// each <see cref="OnnxRunner"/> created from it owns its buffers and is used by one thread at a time.
/// </summary>
public sealed unsafe class OnnxSession : IDisposable
{
    private readonly OrtHandle _session;

    private OnnxSession(OrtRuntime runtime, OrtHandle session)
    {
        Runtime = runtime;
        _session = session;
        Inputs = ReadSignature(isInput: true);
        Outputs = ReadSignature(isInput: false);
    }

    /// <summary>The runtime the session lives in.</summary>
    public OrtRuntime Runtime { get; }

    /// <summary>Model inputs in declaration order (initializers excluded).</summary>
    public IReadOnlyList<OnnxTensorInfo> Inputs { get; }

    /// <summary>Model outputs in declaration order.</summary>
    public IReadOnlyList<OnnxTensorInfo> Outputs { get; }

    internal OrtHandle Handle => _session;

    /// <summary>Loads a model from its serialized bytes (ORT copies what it needs; the span may be reused afterwards).</summary>
    /// <exception cref="OnnxRuntimeException">ORT rejected the model; the message is ORT's.</exception>
    public static OnnxSession FromBytes(ReadOnlySpan<byte> model, OnnxSessionOptions? options = null)
    {
        if (model.IsEmpty)
        {
            throw new ArgumentException("the model is empty (0 bytes); pass the bytes of an .onnx file", nameof(model));
        }
        var runtime = OrtRuntime.Shared;
        var api = runtime.Api;
        using var sessionOptions = CreateOptions(runtime, options ?? new OnnxSessionOptions());
        nint session;
        fixed (byte* data = model)
        {
            api.Check(
                api.CreateSessionFromArray(runtime.Env.Pointer, data, (nuint)model.Length, sessionOptions.Pointer, &session),
                string.Create(CultureInfo.InvariantCulture, $"to load a model from {model.Length} bytes"));
        }
        return Loaded(runtime, session);
    }

    private static OnnxSession Loaded(OrtRuntime runtime, nint session)
    {
        var loaded = new OnnxSession(runtime, new OrtHandle(runtime.Api, OrtObjectKind.Session, session));
        // Session creation walked most of ORT's code (kernel registration, optimisers); runs use little of it.
        runtime.ReleaseLoadTimeCodePages();
        return loaded;
    }

    /// <summary>Loads a model from an .onnx file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="OnnxRuntimeException">ORT rejected the model; the message is ORT's.</exception>
    public static OnnxSession FromFile(string path, OnnxSessionOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new FileNotFoundException($"ONNX model file {full} does not exist", full);
        }
        var runtime = OrtRuntime.Shared;
        var api = runtime.Api;
        using var sessionOptions = CreateOptions(runtime, options ?? new OnnxSessionOptions());
        nint session;
        // ORTCHAR_T is char (UTF-8) on Linux and macOS; this binding does not target Windows' wchar_t paths.
        var utf8 = Encoding.UTF8.GetBytes(full + "\0");
        fixed (byte* pathPtr = utf8)
        {
            api.Check(api.CreateSession(runtime.Env.Pointer, pathPtr, sessionOptions.Pointer, &session), $"to load model file {full}");
        }
        return Loaded(runtime, session);
    }

    /// <summary>
    /// Creates a runner for a model with one float input <c>[batch, features]</c>: input and output buffers for up to
    /// <paramref name="maxBatch"/> rows are allocated once and reused by every <see cref="OnnxRunner.Run"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The model's signature does not fit (the message names the expected shape).</exception>
    public OnnxRunner CreateRunner(int maxBatch) => new(this, maxBatch);

    /// <summary>Releases the native session. Runners created from it must be disposed first.</summary>
    public void Dispose() => _session.Dispose();

    private static OrtHandle CreateOptions(OrtRuntime runtime, OnnxSessionOptions options)
    {
        if (options.IntraOpThreads < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.IntraOpThreads, "IntraOpThreads must be 0 (ORT's default) or more");
        }
        var api = runtime.Api;
        nint raw;
        api.Check(api.CreateSessionOptions(&raw), "to create session options");
        var handle = new OrtHandle(api, OrtObjectKind.SessionOptions, raw);
        try
        {
            api.Check(api.SetIntraOpNumThreads(raw, options.IntraOpThreads), "to set the intra-op thread count");
            api.Check(api.SetSessionExecutionMode(raw, options.Sequential ? 0 : 1), "to set the execution mode");
            api.Check(api.SetSessionGraphOptimizationLevel(raw, (int)options.Optimization), "to set the graph optimisation level");
            // Key from onnxruntime_session_options_config_keys.h.
            fixed (byte* key = "session.intra_op.allow_spinning\0"u8)
            fixed (byte* value = options.AllowSpinning ? "1\0"u8 : "0\0"u8)
            {
                api.Check(api.AddSessionConfigEntry(raw, key, value), "to configure intra-op spinning");
            }
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private OnnxTensorInfo[] ReadSignature(bool isInput)
    {
        var api = Runtime.Api;
        var session = _session.Pointer;
        nuint count;
        api.Check(isInput ? api.SessionGetInputCount(session, &count) : api.SessionGetOutputCount(session, &count), "to count model inputs/outputs");
        var result = new OnnxTensorInfo[(int)count];
        for (nuint i = 0; i < count; i++)
        {
            byte* namePtr;
            api.Check(
                isInput ? api.SessionGetInputName(session, i, Runtime.DefaultAllocator, &namePtr)
                        : api.SessionGetOutputName(session, i, Runtime.DefaultAllocator, &namePtr),
                "to read a model input/output name");
            var name = api.TakeAllocatedString(Runtime.DefaultAllocator, namePtr);

            nint typeInfo;
            api.Check(
                isInput ? api.SessionGetInputTypeInfo(session, i, &typeInfo) : api.SessionGetOutputTypeInfo(session, i, &typeInfo),
                $"to read the type of '{name}'");
            using var typeHandle = new OrtHandle(api, OrtObjectKind.TypeInfo, typeInfo);
            result[(int)i] = ReadTensorInfo(api, name, typeInfo);
        }
        return result;
    }

    private static OnnxTensorInfo ReadTensorInfo(OrtApi api, string name, nint typeInfo)
    {
        nint tensorInfo;
        // Not owned: valid while typeInfo lives. Null for maps and sequences, which we report as Undefined with no shape.
        api.Check(api.CastTypeInfoToTensorInfo(typeInfo, &tensorInfo), $"to read the tensor type of '{name}'");
        if (tensorInfo == 0)
        {
            return new OnnxTensorInfo(name, OnnxElementType.Undefined, [], []);
        }
        int elementType;
        api.Check(api.GetTensorElementType(tensorInfo, &elementType), $"to read the element type of '{name}'");
        nuint rank;
        api.Check(api.GetDimensionsCount(tensorInfo, &rank), $"to read the rank of '{name}'");
        var dims = new long[(int)rank];
        var dimNames = new string[(int)rank];
        if (rank > 0)
        {
            var symbolic = stackalloc byte*[(int)rank];
            fixed (long* d = dims)
            {
                api.Check(api.GetDimensions(tensorInfo, d, rank), $"to read the shape of '{name}'");
            }
            api.Check(api.GetSymbolicDimensions(tensorInfo, symbolic, rank), $"to read the dimension names of '{name}'");
            for (var i = 0; i < (int)rank; i++)
            {
                dimNames[i] = symbolic[i] == null ? string.Empty : Marshal.PtrToStringUTF8((nint)symbolic[i]) ?? string.Empty;
            }
        }
        return new OnnxTensorInfo(name, (OnnxElementType)elementType, dims, dimNames);
    }
}
