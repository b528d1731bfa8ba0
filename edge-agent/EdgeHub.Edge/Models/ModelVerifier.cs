using System.Security.Cryptography;
using EdgeHub.Contracts;
using EdgeHub.Onnx;

namespace EdgeHub.Edge.Models;

/// <summary>A model assignment or its bytes failed a check; the message says which and what to do.</summary>
public sealed class ModelRejectedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ModelRejectedException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public ModelRejectedException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Creates the exception.</summary>
    public ModelRejectedException() { }
}

/// <summary>
/// Checks a model before any of it runs: SHA-256 of the bytes equals the assignment's, the ECDSA P-256 signature verifies
/// with the configured hub key (<see cref="ModelSignature"/>), and the feature schema (assignment and ONNX metadata) and the
/// input/output signature match what this edge computes ([N, 32] float features in, [N, 6] probabilities out).
/// </summary>
public sealed class ModelVerifier : IDisposable
{
    private readonly ECDsa? _hubKey;

    /// <summary>Creates a verifier for the hub key PEM (null: every model is refused, with a message saying why).</summary>
    public ModelVerifier(string? hubPublicKeyPem)
    {
        if (!string.IsNullOrWhiteSpace(hubPublicKeyPem))
        {
            try
            {
                _hubKey = ModelSignature.LoadPublicKeyPem(hubPublicKeyPem);
            }
            catch (ArgumentException ex)
            {
                throw new EdgeConfigurationException($"Edge:HubPublicKeyPem: {ex.Message}", ex);
            }
        }
    }

    /// <summary>Verifies <paramref name="onnx"/> against <paramref name="assignment"/>; returns the model's metadata.</summary>
    /// <exception cref="ModelRejectedException">A check failed.</exception>
    public OnnxModelMetadata Verify(ModelAssignment assignment, ReadOnlySpan<byte> onnx)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        var what = $"model {assignment.ModelVersion}";
        if (_hubKey is null)
        {
            throw new ModelRejectedException($"{what} refused: no hub public key configured (set Edge:HubPublicKeyPem or Edge:HubPublicKeyFile)");
        }

        if (assignment.FeatureSchemaId != FeatureSchema.Id)
        {
            throw new ModelRejectedException($"{what} refused: assignment is for feature schema '{assignment.FeatureSchemaId}', this edge computes '{FeatureSchema.Id}'");
        }

        var sha = ModelSignature.Sha256Hex(onnx);
        if (!string.Equals(sha, assignment.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new ModelRejectedException($"{what} refused: SHA-256 of the {onnx.Length} bytes is {sha}, the assignment says {assignment.Sha256} (corrupted or tampered download)");
        }

        if (string.IsNullOrWhiteSpace(assignment.Signature))
        {
            throw new ModelRejectedException($"{what} refused: the assignment carries no signature (unsigned models never run; the hub signs every model it registers)");
        }

        if (!ModelSignature.Verify(onnx, assignment.Signature, _hubKey))
        {
            throw new ModelRejectedException($"{what} refused: signature does not verify with the configured hub public key (signed by another key, or bytes tampered)");
        }

        OnnxModelMetadata meta;
        try
        {
            meta = OnnxModelInfo.Read(onnx);
        }
        catch (OnnxModelFormatException ex)
        {
            throw new ModelRejectedException($"{what} refused: {ex.Message}", ex);
        }

        if (meta.FeatureSchemaId != FeatureSchema.Id)
        {
            throw new ModelRejectedException($"{what} refused: its ONNX metadata names feature schema '{meta.FeatureSchemaId ?? "(none)"}', this edge computes '{FeatureSchema.Id}'");
        }

        if (meta.Inputs.Count != 1 || meta.Inputs[0].ElementType != OnnxElementType.Float || meta.Inputs[0].Shape.Count != 2
            || meta.Inputs[0].Shape[1] != FeatureSchema.Count)
        {
            throw new ModelRejectedException($"{what} refused: input is {string.Join(", ", meta.Inputs)}, expected one float tensor [N, {FeatureSchema.Count}]");
        }

        var probs = FindProbabilities(meta.Outputs);
        if (probs < 0)
        {
            throw new ModelRejectedException($"{what} refused: outputs are {string.Join(", ", meta.Outputs)}, expected a float tensor \"{OnnxModelFactory.ProbabilitiesOutput}\" [N, {RhythmClasses.Count}]");
        }

        return meta;
    }

    /// <summary>Index of the probabilities output ([N, 6] float; by name, else the first such output), or -1.</summary>
    public static int FindProbabilities(IReadOnlyList<OnnxTensorInfo> outputs)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        var fallback = -1;
        for (var i = 0; i < outputs.Count; i++)
        {
            var o = outputs[i];
            if (o.ElementType != OnnxElementType.Float || o.Shape.Count != 2 || o.Shape[1] != RhythmClasses.Count)
            {
                continue;
            }

            if (o.Name == OnnxModelFactory.ProbabilitiesOutput)
            {
                return i;
            }

            if (fallback < 0)
            {
                fallback = i;
            }
        }

        return fallback;
    }

    /// <inheritdoc />
    public void Dispose() => _hubKey?.Dispose();
}
