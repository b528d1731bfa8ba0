using System.Runtime.InteropServices;
using EdgeHub.Onnx.Native;

namespace EdgeHub.Onnx;

/// <summary>
/// The loaded ONNX Runtime: the native library, its C API table, one <c>OrtEnv</c> and the CPU memory description
/// every session shares. <see cref="Shared"/> resolves the library once per process (EDGEHUB_ORT_LIBRARY, then the
/// application folder, then the system); a failure is remembered and rethrown with the same clear message.
/// </summary>
public sealed unsafe class OrtRuntime
{
    private static readonly Lazy<OrtRuntime> SharedRuntime = new(
        () => new OrtRuntime(
            OrtLibraryResolver.Load(Environment.GetEnvironmentVariable(OrtLibraryResolver.EnvironmentVariable), AppContext.BaseDirectory, out var from),
            from,
            OrtApiIndex.ApiVersion),
        LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly nint _codeAddress;
    private long _codeBytesReleased;

    private OrtRuntime(nint library, string loadedFrom, uint apiVersion)
    {
        LibraryPath = loadedFrom;
        _codeAddress = OrtLibraryResolver.GetApiBase(library, loadedFrom);
        var apiBase = (nint*)((delegate* unmanaged<nint>)_codeAddress)();
        // OrtApiBase is { const OrtApi* (*GetApi)(uint32_t version); const char* (*GetVersionString)(void); }.
        var getApi = (delegate* unmanaged<uint, nint>)apiBase[0];
        var getVersion = (delegate* unmanaged<byte*>)apiBase[1];
        Version = Marshal.PtrToStringUTF8((nint)getVersion()) ?? "unknown";
        var table = getApi(apiVersion);
        if (table == 0)
        {
            throw new OnnxRuntimeException(
                $"ONNX Runtime {Version} at {loadedFrom} is too old: EdgeHub needs C API version {apiVersion} (ORT 1.{apiVersion} or newer). " +
                $"Set {OrtLibraryResolver.EnvironmentVariable} to a newer libonnxruntime.so.1 (./tools/setup-ort.sh fetches 1.30.0).");
        }
        Api = new OrtApi(table);

        nint env;
        fixed (byte* logId = "edgehub"u8)
        {
            // Log level 3 = ORT_LOGGING_LEVEL_ERROR: ORT's own logger writes to stderr, and we stay quiet by default;
            // every failure still reaches the caller as an OrtStatus turned into an exception.
            Api.Check(Api.CreateEnv(3, logId, &env), "to create the ORT environment");
        }
        Env = new OrtHandle(Api, OrtObjectKind.Env, env);
        // Telemetry only exists on Windows builds; the call is harmless elsewhere and keeps an edge device from phoning home.
        Api.Check(Api.DisableTelemetryEvents(env), "to disable telemetry");

        nint memoryInfo;
        // OrtDeviceAllocator (0), OrtMemTypeDefault (0): describes our own CPU buffers handed to CreateTensorWithDataAsOrtValue.
        Api.Check(Api.CreateCpuMemoryInfo(0, 0, &memoryInfo), "to describe CPU memory");
        CpuMemoryInfo = new OrtHandle(Api, OrtObjectKind.MemoryInfo, memoryInfo);

        nint allocator;
        Api.Check(Api.GetAllocatorWithDefaultOptions(&allocator), "to get the default allocator");
        DefaultAllocator = allocator;
    }

    /// <summary>
    /// Drops the library's resident code pages after a session was created (see <see cref="CodePages"/>): ~20 MB that
    /// session creation touched and inference does not use. Returns the bytes that were resident.
    /// </summary>
    internal long ReleaseLoadTimeCodePages()
    {
        var released = CodePages.Release(_codeAddress);
        Interlocked.Add(ref _codeBytesReleased, released);
        return released;
    }

    /// <summary>Resident code bytes given back after session loads so far (all sessions of this runtime).</summary>
    public long CodeBytesReleased => Interlocked.Read(ref _codeBytesReleased);

    /// <summary>The process-wide runtime; loads the native library on first use.</summary>
    /// <exception cref="OnnxRuntimeException">The library is missing, not ONNX Runtime, or too old; the message names EDGEHUB_ORT_LIBRARY.</exception>
    public static OrtRuntime Shared => SharedRuntime.Value;

    /// <summary>Loads ONNX Runtime from one explicit path (tools and tests; services use <see cref="Shared"/>).</summary>
    public static OrtRuntime Load(string libraryPath) => Load(libraryPath, OrtApiIndex.ApiVersion);

    /// <summary>Loads from a path asking for a given C API version (tests use a version no library has yet).</summary>
    internal static OrtRuntime Load(string libraryPath, uint apiVersion)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(libraryPath);
        return new OrtRuntime(OrtLibraryResolver.LoadExplicit(libraryPath, libraryPath), libraryPath, apiVersion);
    }

    /// <summary>ORT's version string, for example "1.30.0".</summary>
    public string Version { get; }

    /// <summary>Where the native library was loaded from.</summary>
    public string LibraryPath { get; }

    internal OrtApi Api { get; }

    internal OrtHandle Env { get; }

    internal OrtHandle CpuMemoryInfo { get; }

    /// <summary>ORT's default CPU allocator; owned by ORT and never released.</summary>
    internal nint DefaultAllocator { get; }
}
