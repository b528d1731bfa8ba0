using System.Security.Cryptography;
using EdgeHub.Contracts;
using EdgeHub.Onnx;
using EdgeHub.Testing;

namespace EdgeHub.Security.Tests.Support;

/// <summary>Real ONNX classifiers (standardise → Gemm → softmax) signed like the hub signs them, with the hub key of these tests.</summary>
public static class SignedModels
{
    /// <summary>The hub signing key the test edges trust.</summary>
    public static ECDsa HubKey { get; } = ModelSignature.GenerateKey();

    /// <summary>Public PEM of <see cref="HubKey"/>.</summary>
    public static string HubPublicPem { get; } = ModelSignature.ExportPublicKeyPem(HubKey);

    /// <summary>
    /// ONNX bytes of a small model that mostly answers "normal"; <paramref name="bias"/> makes versions differ;
    /// <paramref name="paddingBytes"/> of metadata make it as large as needed (models the hub sends by Url, not inline).
    /// </summary>
    public static byte[] Model(string version, float bias = 0, int paddingBytes = 0)
    {
        var n = FeatureSchema.Count;
        var mean = new float[n];
        var std = new float[n];
        for (var i = 0; i < n; i++)
        {
            mean[i] = FeatureSchema.Features[i].Default;
            std[i] = 1e6f;
        }

        var weights = new float[n * RhythmClasses.Count];
        var b = new float[RhythmClasses.Count];
        b[(int)RhythmClass.Normal] = 2 + bias;
        var metadata = new Dictionary<string, string>
        {
            [OnnxMetadataKeys.ModelVersion] = version,
            [OnnxMetadataKeys.FeatureSchemaId] = FeatureSchema.Id,
            [OnnxMetadataKeys.ClassNames] = string.Join(',', RhythmClasses.Names),
        };
        if (paddingBytes > 0)
        {
            metadata["padding"] = new string('p', paddingBytes);
        }

        return OnnxModelFactory.CreateMlpClassifier(new MlpWeights(mean, std, [new DenseLayer(n, RhythmClasses.Count, weights, b)]), metadata);
    }

    /// <summary>An inline assignment of <paramref name="onnx"/> signed by <paramref name="key"/> (default: the hub key).</summary>
    public static ModelAssignment Assign(string version, byte[] onnx, ECDsa? key = null, string region = "eu") => new()
    {
        ModelVersion = version,
        Region = region,
        Sha256 = ModelSignature.Sha256Hex(onnx),
        Signature = ModelSignature.Sign(onnx, key ?? HubKey),
        FeatureSchemaId = FeatureSchema.Id,
        ModelBase64 = Convert.ToBase64String(onnx),
        IssuedAt = DateTimeOffset.UtcNow,
    };
}
