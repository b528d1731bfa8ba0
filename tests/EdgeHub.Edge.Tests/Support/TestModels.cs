using System.Security.Cryptography;
using EdgeHub.Contracts;
using EdgeHub.Onnx;
using EdgeHub.Testing;

namespace EdgeHub.Edge.Tests.Support;

/// <summary>
/// Signed test models. The "rule" model is a real ONNX MLP (standardise → Gemm → softmax) whose weights encode simple
/// rules, so its outputs on real windows are predictable: tachy when the mean heart rate is well above 120/min, brady when
/// the lowest rate is well below 50/min, otherwise normal.
/// </summary>
public static class TestModels
{
    /// <summary>The hub's signing key for tests.</summary>
    public static ECDsa HubKey { get; } = ModelSignature.GenerateKey();

    /// <summary>Public PEM of <see cref="HubKey"/>.</summary>
    public static string HubPublicPem { get; } = ModelSignature.ExportPublicKeyPem(HubKey);

    /// <summary>ONNX bytes of the rule model; <paramref name="bias"/> shifts the normal logit (a different but similar model).</summary>
    public static byte[] RuleModel(string version, float bias = 0, string schemaId = FeatureSchema.Id)
    {
        var n = FeatureSchema.Count;
        var mean = new float[n];
        var std = new float[n];
        for (var i = 0; i < n; i++)
        {
            mean[i] = FeatureSchema.Features[i].Default;
            std[i] = 1e6f; // every feature ignored ...
        }

        var hrMean = FeatureSchema.IndexOf("hr_mean_bpm");
        var hrMin = FeatureSchema.IndexOf("hr_min_bpm");
        mean[hrMean] = 120;
        std[hrMean] = 5;   // ... except: z = (hr_mean - 120) / 5
        mean[hrMin] = 50;
        std[hrMin] = 5;    // z = (hr_min - 50) / 5
        var weights = new float[n * RhythmClasses.Count];
        weights[(hrMean * RhythmClasses.Count) + (int)RhythmClass.Tachycardia] = 2;
        weights[(hrMin * RhythmClasses.Count) + (int)RhythmClass.Bradycardia] = -2;
        var bias6 = new float[RhythmClasses.Count];
        bias6[(int)RhythmClass.Normal] = 2 + bias;
        for (var c = 1; c < bias6.Length; c++)
        {
            bias6[c] = c is (int)RhythmClass.Tachycardia or (int)RhythmClass.Bradycardia ? 0 : -10;
        }

        var metadata = new Dictionary<string, string>
        {
            [OnnxMetadataKeys.ModelVersion] = version,
            [OnnxMetadataKeys.FeatureSchemaId] = schemaId,
            [OnnxMetadataKeys.ClassNames] = string.Join(',', RhythmClasses.Names),
        };
        return OnnxModelFactory.CreateMlpClassifier(new MlpWeights(mean, std, [new DenseLayer(n, RhythmClasses.Count, weights, bias6)]), metadata);
    }

    /// <summary>An assignment carrying <paramref name="onnx"/> inline, signed by <paramref name="key"/> (default: the hub key).</summary>
    public static ModelAssignment Assign(string version, byte[] onnx, int shadowWindows = 0, ECDsa? key = null, string region = "eu") => new()
    {
        ModelVersion = version,
        Region = region,
        Sha256 = ModelSignature.Sha256Hex(onnx),
        Signature = ModelSignature.Sign(onnx, key ?? HubKey),
        FeatureSchemaId = FeatureSchema.Id,
        ModelBase64 = Convert.ToBase64String(onnx),
        ShadowWindows = shadowWindows,
        IssuedAt = DateTimeOffset.UtcNow,
    };
}
