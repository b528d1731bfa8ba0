using System.Runtime.InteropServices;

namespace EdgeHub.Onnx.Native;

/// <summary>
/// A zeroed, 64-byte aligned block of native memory that ORT reads inputs from and writes outputs to. Native (not pinned
/// managed) memory keeps the GC out of the inference path and lets the block outlive any one call.
/// </summary>
internal sealed unsafe class NativeBuffer : SafeHandle
{
    public NativeBuffer(nuint bytes)
        : base(0, ownsHandle: true)
    {
        Length = bytes;
        var block = NativeMemory.AlignedAlloc(bytes == 0 ? 1 : bytes, 64);
        NativeMemory.Clear(block, bytes);
        SetHandle((nint)block);
    }

    public nuint Length { get; }

    public void* Pointer => (void*)handle;

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        NativeMemory.AlignedFree((void*)handle);
        return true;
    }
}
