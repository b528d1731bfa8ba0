using System.Globalization;
using Microsoft.ML.OnnxRuntime;

namespace EdgeHub.Onnx;

/// <summary>
/// One model loaded into ONNX Runtime (the package's <see cref="InferenceSession"/>), with its signature in our terms and
/// ORT's failures turned into <see cref="OnnxInferenceException"/>s that name the model. Thread-safe for concurrent runs;
/// each <see cref="OnnxRunner"/> created from it owns its buffers and is used by one thread at a time.
/// </summary>
public sealed class OnnxSession : IDisposable
{
    private OnnxSession(InferenceSession session, string name)
    {
        Session = session;
        Name = name;
        Inputs = [.. session.InputNames.Select(n => ToInfo(n, session.InputMetadata[n]))];
        Outputs = [.. session.OutputNames.Select(n => ToInfo(n, session.OutputMetadata[n]))];
    }

    /// <summary>What error messages call the model ("model eu-3", "model file /x/y.onnx").</summary>
    public string Name { get; }

    /// <summary>Model inputs in declaration order (initializers excluded).</summary>
    public IReadOnlyList<OnnxTensorInfo> Inputs { get; }

    /// <summary>Model outputs in declaration order.</summary>
    public IReadOnlyList<OnnxTensorInfo> Outputs { get; }

    internal InferenceSession Session { get; }

    /// <summary>True once disposed: runners check it, because the package's session is a raw handle a run must not touch after.</summary>
    internal bool IsDisposed { get; private set; }

    /// <summary>Loads a model from its serialized bytes; <paramref name="name"/> is what errors call it (default "model of N bytes").</summary>
    /// <exception cref="OnnxInferenceException">ORT rejected the model (the message is ORT's, with the model's name), or ORT could not be loaded.</exception>
    public static OnnxSession FromBytes(ReadOnlySpan<byte> model, OnnxSessionOptions? options = null, string? name = null)
    {
        if (model.IsEmpty)
        {
            throw new ArgumentException("the model is empty (0 bytes); pass the bytes of an .onnx file", nameof(model));
        }
        name ??= string.Create(CultureInfo.InvariantCulture, $"model of {model.Length:N0} bytes");
        var bytes = model.ToArray();
        return Create(name, o => new InferenceSession(bytes, o), options);
    }

    /// <summary>Loads a model from an .onnx file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="OnnxInferenceException">ORT rejected the model; the message is ORT's, with the file's path.</exception>
    public static OnnxSession FromFile(string path, OnnxSessionOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new FileNotFoundException($"ONNX model file {full} does not exist", full);
        }
        return Create($"model file {full}", o => new InferenceSession(full, o), options);
    }

    /// <summary>
    /// Creates a runner for a model with one float input <c>[batch, features]</c>: input and output buffers for up to
    /// <paramref name="maxBatch"/> rows are allocated once and reused by every <see cref="OnnxRunner.Run(int)"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The model's signature does not fit (the message names the expected shape).</exception>
    public OnnxRunner CreateRunner(int maxBatch) => new(this, maxBatch);

    /// <summary>Releases the native session. Runners created from it must be disposed first.</summary>
    public void Dispose()
    {
        IsDisposed = true;
        Session.Dispose();
    }

    private static OnnxSession Create(string name, Func<SessionOptions, InferenceSession> open, OnnxSessionOptions? options)
    {
        OrtLibrary.EnsureLoaded();
        options ??= new OnnxSessionOptions();
        if (options.IntraOpThreads < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.IntraOpThreads, "IntraOpThreads must be 0 (ORT's default) or more");
        }
        InferenceSession session;
        using (var ortOptions = new SessionOptions
        {
            IntraOpNumThreads = options.IntraOpThreads,
            ExecutionMode = options.Sequential ? ExecutionMode.ORT_SEQUENTIAL : ExecutionMode.ORT_PARALLEL,
            GraphOptimizationLevel = options.Optimization,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        })
        {
            // Key from onnxruntime_session_options_config_keys.h.
            ortOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", options.AllowSpinning ? "1" : "0");
            try
            {
                session = open(ortOptions);
            }
            catch (Microsoft.ML.OnnxRuntime.OnnxRuntimeException ex)
            {
                throw new OnnxInferenceException($"to load {name}", ex);
            }
        }
        // Session creation walked most of ORT's code (kernel registration, optimisers); runs use little of it.
        CodePages.ReleaseOrtLoadTimePages();
        try
        {
            return new OnnxSession(session, name);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private static OnnxTensorInfo ToInfo(string name, NodeMetadata meta)
    {
        if (!meta.IsTensor)
        {
            // Maps and sequences: reported as Undefined with no shape, as the reader without ORT does.
            return new OnnxTensorInfo(name, OnnxElementType.Undefined, [], []);
        }
        var dims = new long[meta.Dimensions.Length];
        var names = new string[dims.Length];
        for (var i = 0; i < dims.Length; i++)
        {
            dims[i] = meta.Dimensions[i];
            names[i] = i < meta.SymbolicDimensions.Length ? meta.SymbolicDimensions[i] ?? string.Empty : string.Empty;
        }
        // TensorElementType's values are ONNX's TensorProto.DataType, which OnnxElementType mirrors.
        return new OnnxTensorInfo(name, (OnnxElementType)(int)meta.ElementDataType, dims, names);
    }
}
