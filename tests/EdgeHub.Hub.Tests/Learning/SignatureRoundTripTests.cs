using EdgeHub.Contracts;
using EdgeHub.Edge.Models;
using EdgeHub.Learning.Registry;
using EdgeHub.Learning.Rollouts;
using EdgeHub.Learning.Training;

namespace EdgeHub.Hub.Tests.Learning;

/// <summary>
/// The hub's registry signs; the edge's own verifier (EdgeHub.Edge.Models.ModelVerifier, the code agents run) accepts exactly
/// what the hub key signed, through the assignment message the hub publishes, and refuses tampered bytes and other keys; the
/// verified bytes load and run in ONNX Runtime as the edge loads them.
/// </summary>
public sealed class SignatureRoundTripTests
{
    private static MlpModel SmallModel(float bias)
    {
        int n = FeatureSchema.Count, classes = RhythmClasses.Count;
        var weights = new float[n * classes];
        for (var i = 0; i < weights.Length; i++)
        {
            weights[i] = ((i * 7919) % 13 - 6) / 60f;
        }

        var std = new float[n];
        Array.Fill(std, 1f);
        var biases = new float[classes];
        biases[0] = bias;
        return new MlpModel(new float[n], std, [new MlpLayer(n, classes, weights, biases)]);
    }

    private static async Task<(ModelAssignment Assignment, byte[] Onnx)> RegisterAsync(System.Security.Cryptography.ECDsa key, float bias)
    {
        var registry = new ModelRegistry(new InMemoryModelRegistryStore(), key);
        var (model, onnx) = await registry.RegisterAsync(new ModelRegistration
        {
            Region = "eu", Training = new TrainingResult { Model = SmallModel(bias), Mode = TrainingMode.Full, TrainRows = 1 }, DatasetVersion = 1,
        }, CancellationToken.None);
        var command = new AssignmentCommand { Region = "eu", EdgeId = "e1", ModelVersion = model.Version, Reason = "test" };
        return (command.ToAssignment(model, null, DateTimeOffset.UtcNow, Convert.ToBase64String(onnx)), onnx);
    }

    [Fact]
    public async Task HubSignedAssignment_VerifiesAndLoadsOnTheEdge_TamperedOrForeignIsRefused()
    {
        using var hubKey = ModelSignature.GenerateKey();
        using var otherKey = ModelSignature.GenerateKey();
        var (assignment, onnx) = await RegisterAsync(hubKey, 0);
        using var verifier = new ModelVerifier(ModelSignature.ExportPublicKeyPem(hubKey));

        verifier.Verify(assignment, Convert.FromBase64String(assignment.ModelBase64!));
        using (var loaded = LoadedModel.Load(assignment, onnx, maxBatch: 4))
        {
            Assert.Equal(assignment.ModelVersion, loaded.Version);
        }

        var tampered = (byte[])onnx.Clone();
        tampered[^5] ^= 0x40;
        Assert.Contains("SHA-256", Assert.Throws<ModelRejectedException>(() => verifier.Verify(assignment, tampered)).Message, StringComparison.Ordinal);

        // Bytes and hash consistent but signed by another key (a rogue registry): the signature check refuses it.
        var (foreign, foreignOnnx) = await RegisterAsync(otherKey, 0.5f);
        Assert.Contains("signature does not verify",
            Assert.Throws<ModelRejectedException>(() => verifier.Verify(foreign, foreignOnnx)).Message, StringComparison.Ordinal);

        // The hub's signature moved onto other bytes (with their correct hash) does not verify either.
        var swapped = foreign with { Signature = assignment.Signature };
        Assert.Contains("signature does not verify",
            Assert.Throws<ModelRejectedException>(() => verifier.Verify(swapped, foreignOnnx)).Message, StringComparison.Ordinal);
    }
}
