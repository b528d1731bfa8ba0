using System.Runtime.InteropServices;

namespace EdgeHub.Onnx.Native;

/// <summary>
/// Finds and loads the native ONNX Runtime: <c>EDGEHUB_ORT_LIBRARY</c> when set (and nothing else, so a wrong setting is
/// reported rather than silently bypassed), otherwise the application folder, otherwise the system library path.
/// </summary>
internal static class OrtLibraryResolver
{
    /// <summary>Tries to load a library by bare name from the system search path.</summary>
    public delegate bool SystemLoader(string name, out nint handle);

    public const string EnvironmentVariable = "EDGEHUB_ORT_LIBRARY";

    private const string Advice =
        "Set EDGEHUB_ORT_LIBRARY to the path of libonnxruntime.so.1 (ONNX Runtime 1.17 or newer; ./tools/setup-ort.sh fetches 1.30.0 and prints its path).";

    /// <summary>File names tried in the application folder and on the system path, most specific first.</summary>
    public static IReadOnlyList<string> CandidateNames { get; } =
        OperatingSystem.IsWindows() ? ["onnxruntime.dll"]
        : OperatingSystem.IsMacOS() ? ["libonnxruntime.dylib"]
        : ["libonnxruntime.so.1", "libonnxruntime.so"];

    /// <summary>Loads the library following the resolution order; throws <see cref="OnnxRuntimeException"/> naming EDGEHUB_ORT_LIBRARY.</summary>
    /// <param name="environmentValue">The value of EDGEHUB_ORT_LIBRARY (null or empty when unset).</param>
    /// <param name="applicationDirectory">The folder holding the application's assemblies.</param>
    /// <param name="loadedFrom">Where the library was found (a path, or the bare name the system loader resolved).</param>
    /// <param name="systemLoader">Loads a bare library name from the system path; <see cref="NativeLibrary.TryLoad(string, out nint)"/> by default
    /// (replaceable because a process that already loaded ORT always finds it again by its soname).</param>
    public static nint Load(string? environmentValue, string applicationDirectory, out string loadedFrom, SystemLoader? systemLoader = null)
    {
        systemLoader ??= NativeLibrary.TryLoad;
        if (!string.IsNullOrWhiteSpace(environmentValue))
        {
            loadedFrom = environmentValue;
            return LoadExplicit(environmentValue, $"{EnvironmentVariable}={environmentValue}");
        }

        foreach (var name in CandidateNames)
        {
            var candidate = Path.Combine(applicationDirectory, name);
            if (File.Exists(candidate) && NativeLibrary.TryLoad(candidate, out var handle))
            {
                loadedFrom = candidate;
                return handle;
            }
        }
        foreach (var name in CandidateNames)
        {
            if (systemLoader(name, out var handle))
            {
                loadedFrom = name;
                return handle;
            }
        }
        throw new OnnxRuntimeException(
            $"ONNX Runtime native library not found: {EnvironmentVariable} is not set, {string.Join(" / ", CandidateNames)} is neither in " +
            $"{applicationDirectory} nor on the system library path. {Advice}");
    }

    /// <summary>Loads the library from one explicit path; <paramref name="source"/> says where the path came from.</summary>
    public static nint LoadExplicit(string path, string source)
    {
        if (!File.Exists(path))
        {
            throw new OnnxRuntimeException($"ONNX Runtime native library not found: {source} does not exist. {Advice}");
        }
        try
        {
            return NativeLibrary.Load(path);
        }
        catch (Exception ex) when (ex is DllNotFoundException or BadImageFormatException)
        {
            throw new OnnxRuntimeException($"ONNX Runtime native library could not be loaded from {source}: {ex.Message} {Advice}", ex);
        }
    }

    /// <summary>Finds <c>OrtGetApiBase</c>, the library's one entry point; a library without it is not ONNX Runtime.</summary>
    public static nint GetApiBase(nint library, string loadedFrom)
    {
        if (!NativeLibrary.TryGetExport(library, "OrtGetApiBase", out var export))
        {
            throw new OnnxRuntimeException($"{loadedFrom} is not ONNX Runtime (it exports no OrtGetApiBase). {Advice}");
        }
        return export;
    }
}
