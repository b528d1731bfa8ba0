using System.Runtime.InteropServices;

namespace EdgeHub.Onnx.Native;

/// <summary>What kind of ORT object an <see cref="OrtHandle"/> owns, which decides its <c>Release*</c> function.</summary>
internal enum OrtObjectKind
{
    Env,
    SessionOptions,
    Session,
    Value,
    MemoryInfo,
    TypeInfo,
}

/// <summary>
/// Owns one ORT object and releases it exactly once with the matching <c>OrtApi::Release*</c> slot, even when the owner
/// forgets to dispose (finalizer) or disposes while another thread is inside a call (SafeHandle reference counting).
/// </summary>
internal sealed unsafe class OrtHandle : SafeHandle
{
    private readonly OrtApi _api;

    public OrtHandle(OrtApi api, OrtObjectKind kind, nint handle)
        : base(0, ownsHandle: true)
    {
        _api = api;
        Kind = kind;
        SetHandle(handle);
    }

    public OrtObjectKind Kind { get; }

    public override bool IsInvalid => handle == 0;

    /// <summary>The raw pointer for a call; callers keep this handle alive (a field of a live owner) for the call's duration.</summary>
    public nint Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsClosed, this);
            return handle;
        }
    }

    protected override bool ReleaseHandle()
    {
        switch (Kind)
        {
            case OrtObjectKind.Env: _api.ReleaseEnv(handle); break;
            case OrtObjectKind.SessionOptions: _api.ReleaseSessionOptions(handle); break;
            case OrtObjectKind.Session: _api.ReleaseSession(handle); break;
            case OrtObjectKind.Value: _api.ReleaseValue(handle); break;
            case OrtObjectKind.MemoryInfo: _api.ReleaseMemoryInfo(handle); break;
            case OrtObjectKind.TypeInfo: _api.ReleaseTypeInfo(handle); break;
            default: return false;
        }
        return true;
    }
}
