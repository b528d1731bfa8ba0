using System.Runtime.InteropServices;

namespace EdgeHub.Onnx.Native;

/// <summary>
/// The subset of the ORT C API we call, as unmanaged function pointers read from the <c>OrtApi</c> table
/// (slots in <see cref="OrtApiIndex"/>). Pointers are opaque <c>nint</c>s; strings are UTF-8 <c>byte*</c>.
/// Every function returning <c>OrtStatus*</c> goes through <see cref="Check"/>, which turns a non-null status
/// into an <see cref="OnnxRuntimeException"/> carrying ORT's code and message.
/// </summary>
internal sealed unsafe class OrtApi
{
    public readonly delegate* unmanaged<nint, int> GetErrorCode;
    public readonly delegate* unmanaged<nint, byte*> GetErrorMessage;
    public readonly delegate* unmanaged<int, byte*, nint*, nint> CreateEnv;
    public readonly delegate* unmanaged<nint, nint> DisableTelemetryEvents;
    public readonly delegate* unmanaged<nint, byte*, nint, nint*, nint> CreateSession;
    public readonly delegate* unmanaged<nint, void*, nuint, nint, nint*, nint> CreateSessionFromArray;
    public readonly delegate* unmanaged<nint, nint, nint*, nint*, nuint, nint*, nuint, nint*, nint> Run;
    public readonly delegate* unmanaged<nint*, nint> CreateSessionOptions;
    public readonly delegate* unmanaged<nint, int, nint> SetSessionExecutionMode;
    public readonly delegate* unmanaged<nint, int, nint> SetSessionGraphOptimizationLevel;
    public readonly delegate* unmanaged<nint, int, nint> SetIntraOpNumThreads;
    public readonly delegate* unmanaged<nint, nuint*, nint> SessionGetInputCount;
    public readonly delegate* unmanaged<nint, nuint*, nint> SessionGetOutputCount;
    public readonly delegate* unmanaged<nint, nuint, nint*, nint> SessionGetInputTypeInfo;
    public readonly delegate* unmanaged<nint, nuint, nint*, nint> SessionGetOutputTypeInfo;
    public readonly delegate* unmanaged<nint, nuint, nint, byte**, nint> SessionGetInputName;
    public readonly delegate* unmanaged<nint, nuint, nint, byte**, nint> SessionGetOutputName;
    public readonly delegate* unmanaged<nint, void*, nuint, long*, nuint, int, nint*, nint> CreateTensorWithDataAsOrtValue;
    public readonly delegate* unmanaged<nint, nint*, nint> CastTypeInfoToTensorInfo;
    public readonly delegate* unmanaged<nint, int*, nint> GetTensorElementType;
    public readonly delegate* unmanaged<nint, nuint*, nint> GetDimensionsCount;
    public readonly delegate* unmanaged<nint, long*, nuint, nint> GetDimensions;
    public readonly delegate* unmanaged<nint, byte**, nuint, nint> GetSymbolicDimensions;
    public readonly delegate* unmanaged<int, int, nint*, nint> CreateCpuMemoryInfo;
    public readonly delegate* unmanaged<nint, void*, nint> AllocatorFree;
    public readonly delegate* unmanaged<nint*, nint> GetAllocatorWithDefaultOptions;
    public readonly delegate* unmanaged<nint, void> ReleaseEnv;
    public readonly delegate* unmanaged<nint, void> ReleaseStatus;
    public readonly delegate* unmanaged<nint, void> ReleaseMemoryInfo;
    public readonly delegate* unmanaged<nint, void> ReleaseSession;
    public readonly delegate* unmanaged<nint, void> ReleaseValue;
    public readonly delegate* unmanaged<nint, void> ReleaseTypeInfo;
    public readonly delegate* unmanaged<nint, void> ReleaseSessionOptions;
    public readonly delegate* unmanaged<nint, byte*, byte*, nint> AddSessionConfigEntry;

    public OrtApi(nint table)
    {
        var slots = (nint*)table;
        GetErrorCode = (delegate* unmanaged<nint, int>)slots[OrtApiIndex.GetErrorCode];
        GetErrorMessage = (delegate* unmanaged<nint, byte*>)slots[OrtApiIndex.GetErrorMessage];
        CreateEnv = (delegate* unmanaged<int, byte*, nint*, nint>)slots[OrtApiIndex.CreateEnv];
        DisableTelemetryEvents = (delegate* unmanaged<nint, nint>)slots[OrtApiIndex.DisableTelemetryEvents];
        CreateSession = (delegate* unmanaged<nint, byte*, nint, nint*, nint>)slots[OrtApiIndex.CreateSession];
        CreateSessionFromArray = (delegate* unmanaged<nint, void*, nuint, nint, nint*, nint>)slots[OrtApiIndex.CreateSessionFromArray];
        Run = (delegate* unmanaged<nint, nint, nint*, nint*, nuint, nint*, nuint, nint*, nint>)slots[OrtApiIndex.Run];
        CreateSessionOptions = (delegate* unmanaged<nint*, nint>)slots[OrtApiIndex.CreateSessionOptions];
        SetSessionExecutionMode = (delegate* unmanaged<nint, int, nint>)slots[OrtApiIndex.SetSessionExecutionMode];
        SetSessionGraphOptimizationLevel = (delegate* unmanaged<nint, int, nint>)slots[OrtApiIndex.SetSessionGraphOptimizationLevel];
        SetIntraOpNumThreads = (delegate* unmanaged<nint, int, nint>)slots[OrtApiIndex.SetIntraOpNumThreads];
        SessionGetInputCount = (delegate* unmanaged<nint, nuint*, nint>)slots[OrtApiIndex.SessionGetInputCount];
        SessionGetOutputCount = (delegate* unmanaged<nint, nuint*, nint>)slots[OrtApiIndex.SessionGetOutputCount];
        SessionGetInputTypeInfo = (delegate* unmanaged<nint, nuint, nint*, nint>)slots[OrtApiIndex.SessionGetInputTypeInfo];
        SessionGetOutputTypeInfo = (delegate* unmanaged<nint, nuint, nint*, nint>)slots[OrtApiIndex.SessionGetOutputTypeInfo];
        SessionGetInputName = (delegate* unmanaged<nint, nuint, nint, byte**, nint>)slots[OrtApiIndex.SessionGetInputName];
        SessionGetOutputName = (delegate* unmanaged<nint, nuint, nint, byte**, nint>)slots[OrtApiIndex.SessionGetOutputName];
        CreateTensorWithDataAsOrtValue =
            (delegate* unmanaged<nint, void*, nuint, long*, nuint, int, nint*, nint>)slots[OrtApiIndex.CreateTensorWithDataAsOrtValue];
        CastTypeInfoToTensorInfo = (delegate* unmanaged<nint, nint*, nint>)slots[OrtApiIndex.CastTypeInfoToTensorInfo];
        GetTensorElementType = (delegate* unmanaged<nint, int*, nint>)slots[OrtApiIndex.GetTensorElementType];
        GetDimensionsCount = (delegate* unmanaged<nint, nuint*, nint>)slots[OrtApiIndex.GetDimensionsCount];
        GetDimensions = (delegate* unmanaged<nint, long*, nuint, nint>)slots[OrtApiIndex.GetDimensions];
        GetSymbolicDimensions = (delegate* unmanaged<nint, byte**, nuint, nint>)slots[OrtApiIndex.GetSymbolicDimensions];
        CreateCpuMemoryInfo = (delegate* unmanaged<int, int, nint*, nint>)slots[OrtApiIndex.CreateCpuMemoryInfo];
        AllocatorFree = (delegate* unmanaged<nint, void*, nint>)slots[OrtApiIndex.AllocatorFree];
        GetAllocatorWithDefaultOptions = (delegate* unmanaged<nint*, nint>)slots[OrtApiIndex.GetAllocatorWithDefaultOptions];
        ReleaseEnv = (delegate* unmanaged<nint, void>)slots[OrtApiIndex.ReleaseEnv];
        ReleaseStatus = (delegate* unmanaged<nint, void>)slots[OrtApiIndex.ReleaseStatus];
        ReleaseMemoryInfo = (delegate* unmanaged<nint, void>)slots[OrtApiIndex.ReleaseMemoryInfo];
        ReleaseSession = (delegate* unmanaged<nint, void>)slots[OrtApiIndex.ReleaseSession];
        ReleaseValue = (delegate* unmanaged<nint, void>)slots[OrtApiIndex.ReleaseValue];
        ReleaseTypeInfo = (delegate* unmanaged<nint, void>)slots[OrtApiIndex.ReleaseTypeInfo];
        ReleaseSessionOptions = (delegate* unmanaged<nint, void>)slots[OrtApiIndex.ReleaseSessionOptions];
        AddSessionConfigEntry = (delegate* unmanaged<nint, byte*, byte*, nint>)slots[OrtApiIndex.AddSessionConfigEntry];
    }

    /// <summary>Throws when <paramref name="status"/> is not null (ORT's success), after releasing it.</summary>
    /// <param name="status">The <c>OrtStatus*</c> an API call returned.</param>
    /// <param name="what">What we were doing, for the message ("to load a model from 1234 bytes").</param>
    public void Check(nint status, string what)
    {
        if (status != 0)
        {
            Throw(status, what);
        }
    }

    /// <summary>Throws for a non-null status (release included); for hot paths that format their message only on failure.</summary>
    [System.Diagnostics.StackTraceHidden]
    public void Throw(nint status, string what)
    {
        var code = (OrtErrorCode)GetErrorCode(status);
        var message = Marshal.PtrToStringUTF8((nint)GetErrorMessage(status)) ?? "(no message)";
        ReleaseStatus(status);
        throw new OnnxRuntimeException(code, message, what);
    }

    /// <summary>Reads a UTF-8 string ORT allocated with the default allocator, then frees it with that allocator.</summary>
    public string TakeAllocatedString(nint allocator, byte* value)
    {
        var text = Marshal.PtrToStringUTF8((nint)value) ?? string.Empty;
        Check(AllocatorFree(allocator, value), "to free a string ORT allocated");
        return text;
    }
}
