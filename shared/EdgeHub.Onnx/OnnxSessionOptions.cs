using Microsoft.ML.OnnxRuntime;

namespace EdgeHub.Onnx;

/// <summary>How a session runs. The defaults suit an edge agent: one intra-op thread, sequential execution, full optimisation.</summary>
public sealed class OnnxSessionOptions
{
    /// <summary>Threads used inside one operator (ORT <c>SetIntraOpNumThreads</c>); 1 keeps inference on the calling thread.</summary>
    public int IntraOpThreads { get; set; } = 1;

    /// <summary>Run operators one after another (ORT_SEQUENTIAL) rather than in parallel branches (ORT_PARALLEL).</summary>
    public bool Sequential { get; set; } = true;

    /// <summary>Graph optimisation level applied when the session is created.</summary>
    public GraphOptimizationLevel Optimization { get; set; } = GraphOptimizationLevel.ORT_ENABLE_ALL;

    /// <summary>
    /// Whether idle intra-op threads spin waiting for work (ORT's default). Off by default: on a small shared edge machine
    /// spinning threads steal CPU from ingest for little latency gain. Irrelevant when <see cref="IntraOpThreads"/> is 1.
    /// </summary>
    public bool AllowSpinning { get; set; }
}
