namespace EdgeHub.Onnx.Native;

/// <summary>
/// Slots of the <c>OrtApi</c> function table (onnxruntime_c_api.h, <c>struct OrtApi</c>), counted from the first member.
/// The table is append-only across releases, so a slot never moves; each index below was counted against the header
/// and every one is exercised by the tests against ORT 1.30.0.
/// </summary>
internal static class OrtApiIndex
{
    public const int GetErrorCode = 1;
    public const int GetErrorMessage = 2;
    public const int CreateEnv = 3;
    public const int DisableTelemetryEvents = 6;
    public const int CreateSession = 7;
    public const int CreateSessionFromArray = 8;
    public const int Run = 9;
    public const int CreateSessionOptions = 10;
    public const int SetSessionExecutionMode = 13;
    public const int SetSessionGraphOptimizationLevel = 23;
    public const int SetIntraOpNumThreads = 24;
    public const int SessionGetInputCount = 30;
    public const int SessionGetOutputCount = 31;
    public const int SessionGetInputTypeInfo = 33;
    public const int SessionGetOutputTypeInfo = 34;
    public const int SessionGetInputName = 36;
    public const int SessionGetOutputName = 37;
    public const int CreateTensorWithDataAsOrtValue = 49;
    public const int CastTypeInfoToTensorInfo = 55;
    public const int GetTensorElementType = 60;
    public const int GetDimensionsCount = 61;
    public const int GetDimensions = 62;
    public const int GetSymbolicDimensions = 63;
    public const int CreateCpuMemoryInfo = 69;
    public const int AllocatorFree = 76;
    public const int GetAllocatorWithDefaultOptions = 78;
    public const int ReleaseEnv = 92;
    public const int ReleaseStatus = 93;
    public const int ReleaseMemoryInfo = 94;
    public const int ReleaseSession = 95;
    public const int ReleaseValue = 96;
    public const int ReleaseTypeInfo = 98;
    public const int ReleaseSessionOptions = 100;
    public const int AddSessionConfigEntry = 130;

    /// <summary>
    /// The C API version requested from <c>OrtApiBase::GetApi</c>. Every slot above exists since API 4 (ORT 1.4); asking for 17
    /// (ORT 1.17, Feb 2024) keeps us on releases whose behaviour we test against, and fails clearly on anything older.
    /// </summary>
    public const uint ApiVersion = 17;
}
