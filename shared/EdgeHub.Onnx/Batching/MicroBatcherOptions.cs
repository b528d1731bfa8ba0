namespace EdgeHub.Onnx;

/// <summary>How a <see cref="MicroBatcher"/> groups windows into runs.</summary>
public sealed class MicroBatcherOptions
{
    /// <summary>Most rows in one ORT run. Larger batches amortise per-run overhead; 64 is past the knee for small MLPs.</summary>
    public int MaxBatch { get; set; } = 64;

    /// <summary>
    /// Longest time the oldest waiting window is held back to let a batch fill. Zero runs whatever is queued at once (under load,
    /// windows still batch up while the previous run executes). Timers have about 1 ms resolution, so non-zero values round up to
    /// whole milliseconds when the queue runs dry.
    /// </summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromMilliseconds(1);

    /// <summary>Windows that may wait; when full, <see cref="MicroBatcher.InferAsync"/> waits for room (backpressure).</summary>
    public int QueueCapacity { get; set; } = 4096;

    /// <summary>
    /// Run callers' continuations on the batching thread instead of the thread pool. Saves a thread hop per window but the next
    /// batch waits for every continuation, so only set it when continuations are short and never block.
    /// </summary>
    public bool RunContinuationsInline { get; set; }

    internal void Validate()
    {
        if (MaxBatch < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxBatch), MaxBatch, "MaxBatch must be at least 1");
        }
        if (MaxDelay < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxDelay), MaxDelay, "MaxDelay must not be negative");
        }
        if (QueueCapacity < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(QueueCapacity), QueueCapacity, "QueueCapacity must be at least 1");
        }
    }
}
