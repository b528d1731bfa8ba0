using EdgeHub.Contracts;
using EdgeHub.Onnx;

namespace EdgeHub.Edge.Models;

/// <summary>
/// A verified model loaded into ONNX Runtime with its own runner (input/output buffers for a whole micro-batch).
/// Used by the inference thread only; the manager creates it elsewhere and hands it over.
/// </summary>
public sealed class LoadedModel : IDisposable
{
    private readonly OnnxSession _session;
    private readonly OnnxRunner _runner;
    private readonly int _probabilities;

    private LoadedModel(ModelAssignment assignment, byte[] bytes, OnnxSession session, int maxBatch)
    {
        Assignment = assignment;
        Bytes = bytes;
        _session = session;
        _runner = session.CreateRunner(maxBatch);
        _probabilities = ModelVerifier.FindProbabilities(session.Outputs);
        if (_probabilities < 0 || _runner.FeatureCount != FeatureSchema.Count)
        {
            _runner.Dispose();
            throw new ModelRejectedException($"model {assignment.ModelVersion} refused: ORT reports outputs {string.Join(", ", session.Outputs)} and {_runner.FeatureCount} input features; expected [N, {FeatureSchema.Count}] in and [N, {RhythmClasses.Count}] probabilities out");
        }
    }

    /// <summary>The assignment the model came with.</summary>
    public ModelAssignment Assignment { get; }

    /// <summary>The verified ONNX bytes (kept for persistence and rollback).</summary>
    public byte[] Bytes { get; }

    /// <summary>Model version.</summary>
    public string Version => Assignment.ModelVersion;

    /// <summary>Most windows per run.</summary>
    public int MaxBatch => _runner.MaxBatch;

    /// <summary>
    /// Loads verified bytes, then runs one smoke batch of default features so a model that loads but cannot run is refused
    /// before it serves (and probabilities that are not finite or do not sum to ~1 are caught).
    /// </summary>
    /// <exception cref="ModelRejectedException">ORT refused the model or the smoke run failed.</exception>
    public static LoadedModel Load(ModelAssignment assignment, byte[] bytes, int maxBatch)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        ArgumentNullException.ThrowIfNull(bytes);
        OnnxSession session;
        try
        {
            session = OnnxSession.FromBytes(bytes, new OnnxSessionOptions(), $"model {assignment.ModelVersion}");
        }
        catch (Exception ex) when (ex is OnnxInferenceException or ArgumentException or DllNotFoundException or InvalidOperationException)
        {
            throw new ModelRejectedException($"model {assignment.ModelVersion} refused: ONNX Runtime could not load it: {ex.Message}", ex);
        }

        LoadedModel? model = null;
        try
        {
            model = new LoadedModel(assignment, bytes, session, maxBatch);
            Span<float> probs = stackalloc float[RhythmClasses.Count];
            var features = new float[FeatureSchema.Count];
            for (var i = 0; i < features.Length; i++)
            {
                features[i] = FeatureSchema.Features[i].Default;
            }

            model.Run(features, 1, probs);
            var sum = 0f;
            foreach (var p in probs)
            {
                if (!float.IsFinite(p) || p < -1e-3f)
                {
                    throw new ModelRejectedException($"model {assignment.ModelVersion} refused: smoke run produced probability {p}");
                }

                sum += p;
            }

            if (Math.Abs(sum - 1) > 0.02f)
            {
                throw new ModelRejectedException($"model {assignment.ModelVersion} refused: smoke run probabilities sum to {sum}, not 1 (is the output softmaxed?)");
            }

            return model;
        }
        catch (Exception ex) when (ex is not ModelRejectedException)
        {
            model?.Dispose();
            session.Dispose();
            throw new ModelRejectedException($"model {assignment.ModelVersion} refused: smoke run failed: {ex.Message}", ex);
        }
        catch
        {
            model?.Dispose();
            session.Dispose();
            throw;
        }
    }

    /// <summary>Runs <paramref name="batch"/> rows of features; writes <c>batch × 6</c> probabilities.</summary>
    /// <exception cref="OnnxInferenceException">ORT failed.</exception>
    public void Run(ReadOnlySpan<float> features, int batch, Span<float> probabilities)
    {
        features[..(batch * FeatureSchema.Count)].CopyTo(_runner.Input(batch));
        _runner.Run(batch);
        _runner.Output(_probabilities, batch)[..(batch * RhythmClasses.Count)].CopyTo(probabilities);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _runner.Dispose();
        _session.Dispose();
    }
}
