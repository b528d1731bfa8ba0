using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace EdgeHub.Onnx;

/// <summary>
/// Where ONNX Runtime's native library comes from. By default the Microsoft.ML.OnnxRuntime package's own copy
/// (runtimes/linux-x64/native/libonnxruntime.so beside the application, found through its deps.json). When
/// <c>EDGEHUB_ORT_LIBRARY</c> names another build, that file and nothing else is used: it is loaded here and handed to the
/// package through a DllImport resolver for "onnxruntime", installed before the package's first native call (a resolver can
/// only be set once per assembly, and the package's own one is switched off so the two do not race).
/// Every EdgeHub entry into ORT (<see cref="OnnxSession"/>) passes through <see cref="EnsureLoaded"/>, so the order holds;
/// a failure is remembered and rethrown with the same one-line message naming the setting.
/// </summary>
public static class OrtLibrary
{
    /// <summary>The setting that points at another ONNX Runtime build.</summary>
    public const string EnvironmentVariable = "EDGEHUB_ORT_LIBRARY";

    // The name Microsoft.ML.OnnxRuntime's DllImports use.
    private const string NativeName = "onnxruntime";

    private static readonly Lazy<Loaded> State = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>ORT's version string, for example "1.32.0".</summary>
    public static string Version => State.Value.Version;

    /// <summary>The file the native library was loaded from.</summary>
    public static string LibraryPath => State.Value.Path;

    /// <summary>An address inside the library's code (for <see cref="CodePages"/>).</summary>
    internal static nint CodeAddress => State.Value.CodeAddress;

    /// <summary>Loads and initialises ONNX Runtime once per process.</summary>
    /// <exception cref="OnnxInferenceException">The configured library is missing, not ONNX Runtime, or does not fit the package.</exception>
    public static void EnsureLoaded() => _ = State.Value;

    private static Loaded Load()
    {
        var configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
        var source = "the Microsoft.ML.OnnxRuntime package";
        nint configuredHandle = 0;
        if (!string.IsNullOrWhiteSpace(configured))
        {
            source = $"{EnvironmentVariable}={configured}";
            var handle = configuredHandle = LoadConfigured(configured, source);
            try
            {
                // Before any ORT type is touched: touching OrtEnv (even its DisableDllImportResolver switch) runs the
                // package's static initialiser, which loads the package's own library at once.
                NativeLibrary.SetDllImportResolver(typeof(OrtEnv).Assembly, (name, _, _) => name == NativeName ? handle : 0);
            }
            catch (InvalidOperationException ex)
            {
                throw new OnnxInferenceException(
                    $"{source} cannot be applied: something in this process already resolves Microsoft.ML.OnnxRuntime's native library ({ex.Message}); unset {EnvironmentVariable} or remove the other resolver",
                    ex);
            }
        }

        string version;
        try
        {
            // ERROR level: ORT's logger writes to stderr and we stay quiet by default; failures still arrive as exceptions.
            var options = new EnvironmentCreationOptions { logId = "edgehub", logLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
            version = OrtEnv.CreateInstanceWithOptions(ref options).GetVersionString();
        }
        catch (Exception ex) when (ex is TypeInitializationException or DllNotFoundException or EntryPointNotFoundException
                                       or BadImageFormatException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
        {
            var cause = ex;
            while (cause.InnerException is not null)
            {
                cause = cause.InnerException;
            }
            throw new OnnxInferenceException(
                $"ONNX Runtime could not be initialised from {source}: {cause.Message} (the package needs ONNX Runtime 1.32 or newer; unset {EnvironmentVariable} to use the package's own library)",
                ex);
        }

        // NativeLibrary.TryLoad(name, assembly) does not consult the assembly's resolver: with a configured build it would load
        // the package's copy beside it, so the configured handle is used directly.
        var library = configuredHandle;
        if ((library == 0 && !NativeLibrary.TryLoad(NativeName, typeof(OrtEnv).Assembly, null, out library))
            || !NativeLibrary.TryGetExport(library, "OrtGetApiBase", out var code))
        {
            code = 0;
        }
        // The file actually mapped, as the kernel reports it, so a test can tell which build is running.
        return new Loaded(version, CodePages.PathOf(code) ?? (configured is { Length: > 0 } ? configured : NativeName), code);
    }

    private static nint LoadConfigured(string path, string source)
    {
        if (!File.Exists(path))
        {
            throw new OnnxInferenceException($"ONNX Runtime native library not found: {source} does not exist; point it at a libonnxruntime.so or unset it to use the package's own");
        }
        nint handle;
        try
        {
            handle = NativeLibrary.Load(path);
        }
        catch (Exception ex) when (ex is DllNotFoundException or BadImageFormatException)
        {
            throw new OnnxInferenceException($"ONNX Runtime native library could not be loaded from {source}: {ex.Message}", ex);
        }
        if (!NativeLibrary.TryGetExport(handle, "OrtGetApiBase", out _))
        {
            throw new OnnxInferenceException($"{source} is not ONNX Runtime (it exports no OrtGetApiBase); point it at a libonnxruntime.so or unset it to use the package's own");
        }
        return handle;
    }

    private sealed record Loaded(string Version, string Path, nint CodeAddress);
}
