using System.Collections.Concurrent;
using EdgeHub.Contracts;
using EdgeHub.Edge.Alerts;
using EdgeHub.Edge.Ingest;

namespace EdgeHub.Edge.Inference;

/// <summary>
/// One accepted frame on its way from ingest to the inference thread: the device, the frame's sequence, what the safety
/// net needs and, once the device has a full window, that window's features. Pooled.
/// </summary>
public sealed class WorkItem
{
    private static readonly ConcurrentQueue<WorkItem> Pool = new();

    /// <summary>The device.</summary>
    public DeviceState Device { get; set; } = null!;

    /// <summary>Frame sequence (echoed in feedback).</summary>
    public uint Sequence { get; set; }

    /// <summary>Device time of the frame's end (= window end), µs.</summary>
    public long FrameEndMicros { get; set; }

    /// <summary>Stopwatch ticks when the frame arrived (latency metric).</summary>
    public long ReceivedTicks { get; set; }

    /// <summary>True when <see cref="Features"/> holds a full window.</summary>
    public bool HasWindow { get; set; }

    /// <summary>The window's features.</summary>
    public float[] Features { get; } = new float[FeatureSchema.Count];

    /// <summary>Inputs of the safety rules after this frame.</summary>
    public SafetyInputs Safety { get; set; }

    /// <summary>Row of this item in the batch's probability buffer, or -1 without prediction.</summary>
    internal int BatchRow { get; set; } = -1;

    /// <summary>A pooled item.</summary>
    public static WorkItem Rent() => Pool.TryDequeue(out var item) ? item : new WorkItem();

    /// <summary>Returns an item to the pool.</summary>
    public static void Return(WorkItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        item.Device = null!;
        item.HasWindow = false;
        item.BatchRow = -1;
        if (Pool.Count < 16_384)
        {
            Pool.Enqueue(item);
        }
    }
}
