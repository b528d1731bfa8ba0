using System.Runtime.CompilerServices;

namespace EdgeHub.Onnx;

/// <summary>Class probabilities stored inline so a result travels without a heap allocation.</summary>
[InlineArray(InferenceResult.MaxClasses)]
internal struct ProbabilityBuffer
{
    private float _element;
}

/// <summary>
/// One window's inference: the predicted class, its probabilities (up to <see cref="MaxClasses"/>), the size of the batch it ran
/// in and the time from submission to result. A value type with inline storage: returning it allocates nothing.
/// </summary>
public readonly struct InferenceResult
{
    /// <summary>Most classes a result can carry.</summary>
    public const int MaxClasses = 16;

    private readonly ProbabilityBuffer _probabilities;

    internal InferenceResult(ReadOnlySpan<float> probabilities, int label, int batchSize, TimeSpan latency)
    {
        probabilities.CopyTo(_probabilities);
        ClassCount = probabilities.Length;
        Label = label;
        BatchSize = batchSize;
        Latency = latency;
    }

    /// <summary>The predicted class: the model's label output when it has one, otherwise the most probable class.</summary>
    public int Label { get; }

    /// <summary>Number of classes (probabilities) carried.</summary>
    public int ClassCount { get; }

    /// <summary>Rows in the ORT run that produced this result.</summary>
    public int BatchSize { get; }

    /// <summary>Time from <see cref="MicroBatcher.InferAsync"/> to the result being ready (queueing + run).</summary>
    public TimeSpan Latency { get; }

    /// <summary>Probability of the predicted class.</summary>
    public float Confidence => (uint)Label < (uint)ClassCount ? _probabilities[Label] : float.NaN;

    /// <summary>Probability of class <paramref name="classIndex"/>.</summary>
    public float Probability(int classIndex)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)classIndex, (uint)ClassCount, nameof(classIndex));
        return _probabilities[classIndex];
    }

    /// <summary>Copies the probabilities to <paramref name="destination"/> (at least <see cref="ClassCount"/> long).</summary>
    public void CopyProbabilitiesTo(Span<float> destination) =>
        ((ReadOnlySpan<float>)_probabilities)[..ClassCount].CopyTo(destination);

    /// <summary>The probabilities as a new array (allocates; for logs and tests).</summary>
    public float[] ProbabilitiesToArray() => ((ReadOnlySpan<float>)_probabilities)[..ClassCount].ToArray();
}
