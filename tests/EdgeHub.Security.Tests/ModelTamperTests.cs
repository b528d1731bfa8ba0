using System.Text.Json;
using EdgeHub.Contracts;
using EdgeHub.Mqtt;
using EdgeHub.Security.Tests.Support;
using EdgeHub.Testing;

namespace EdgeHub.Security.Tests;

/// <summary>
/// Models reach an edge only signed by the hub: a flipped byte, a signature by another key, or no signature at all is
/// refused before anything runs, with a reason naming the check that failed, and the serving model stays in place.
/// </summary>
public sealed class ModelTamperTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private EdgeRig _rig = null!;
    private byte[] _good = null!;

    public async Task InitializeAsync()
    {
        _rig = await EdgeRig.StartAsync();
        _good = SignedModels.Model("v1");
        Assert.True(await _rig.Agent.Models.InstallAsync(SignedModels.Assign("v1", _good), CancellationToken.None), _rig.Agent.Models.LastError);
        // The generation moves after the version (behind the state file write): wait for both, so the tests below compare
        // against a settled generation.
        await Eventually.TrueAsync(() => _rig.Agent.Models.CurrentVersion == "v1" && _rig.Agent.Models.Generation > 0, Deadline, "signed model v1 serving");
    }

    public async Task DisposeAsync() => await _rig.DisposeAsync();

    [Fact]
    public async Task FlippedByte_WithTheOriginalDigest_IsRefusedAsTampered()
    {
        var flipped = Flip(SignedModels.Model("v2", bias: 0.5f));
        var assignment = SignedModels.Assign("v2", SignedModels.Model("v2", bias: 0.5f)) with { ModelBase64 = Convert.ToBase64String(flipped) };
        await AssertRefusedAsync(assignment, "model v2 refused", "SHA-256", "tampered");
    }

    [Fact]
    public async Task FlippedByte_WithARecomputedDigest_FailsTheSignature()
    {
        // An attacker who can rewrite the assignment recomputes the digest; the signature still covers the original bytes.
        var original = SignedModels.Model("v3", bias: 0.5f);
        var flipped = Flip(original);
        var assignment = SignedModels.Assign("v3", original) with
        {
            ModelBase64 = Convert.ToBase64String(flipped),
            Sha256 = ModelSignature.Sha256Hex(flipped),
        };
        await AssertRefusedAsync(assignment, "model v3 refused", "signature does not verify");
    }

    [Fact]
    public async Task SignedByAnotherKey_IsRefused()
    {
        using var attacker = ModelSignature.GenerateKey();
        var assignment = SignedModels.Assign("v4", SignedModels.Model("v4", bias: 0.5f), attacker);
        await AssertRefusedAsync(assignment, "model v4 refused", "signature does not verify", "hub public key");
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public async Task Unsigned_IsRefused(string signature)
    {
        var version = "v5" + signature.Length;
        var assignment = SignedModels.Assign(version, SignedModels.Model(version, bias: 0.5f)) with { Signature = signature };
        await AssertRefusedAsync(assignment, $"model {version} refused", "no signature");
    }

    [Fact]
    public async Task GarbageSignature_IsRefused()
    {
        var assignment = SignedModels.Assign("v6", SignedModels.Model("v6", bias: 0.5f)) with { Signature = Convert.ToBase64String(new byte[64]) };
        await AssertRefusedAsync(assignment, "model v6 refused", "signature does not verify");
    }

    [Fact]
    public async Task TamperedRetainedAssignment_OverMqtt_IsRefusedAndLogged_ThenASignedOneIsTaken()
    {
        // The real path: a retained assignment on the region's model topic (the uplink shares the device broker here).
        await using var hub = new MqttClient(new MqttClientOptions { Host = "127.0.0.1", Port = _rig.Port, ClientId = "tamper-hub", AutoReconnect = false });
        await hub.ConnectAsync();
        var original = SignedModels.Model("v7", bias: 0.5f);
        var tampered = SignedModels.Assign("v7", original) with { ModelBase64 = Convert.ToBase64String(Flip(original)) };
        await hub.PublishAsync(Topics.RegionModel(EdgeRig.Region), JsonSerializer.SerializeToUtf8Bytes(tampered, ContractsJson.Default.ModelAssignment), MqttQos.AtLeastOnce, retain: true);
        await Eventually.TrueAsync(() => _rig.Logs.Contains("model v7 refused", "SHA-256"), Deadline, "a log line saying why v7 was refused");
        Assert.Equal("v1", _rig.Agent.Models.CurrentVersion);

        // The same channel still works for a correctly signed model: the refusal did not wedge anything.
        var signed = SignedModels.Assign("v8", SignedModels.Model("v8", bias: 0.5f));
        await hub.PublishAsync(Topics.RegionModel(EdgeRig.Region), JsonSerializer.SerializeToUtf8Bytes(signed, ContractsJson.Default.ModelAssignment), MqttQos.AtLeastOnce, retain: true);
        await Eventually.TrueAsync(() => _rig.Agent.Models.CurrentVersion == "v8", Deadline, "signed v8 replaces v1");
    }

    private async Task AssertRefusedAsync(ModelAssignment assignment, params string[] reason)
    {
        var generation = _rig.Agent.Models.Generation;
        Assert.False(await _rig.Agent.Models.InstallAsync(assignment, CancellationToken.None), $"{assignment.ModelVersion} was accepted");
        var error = _rig.Agent.Models.LastError ?? "";
        foreach (var fragment in reason)
        {
            Assert.Contains(fragment, error, StringComparison.Ordinal);
        }

        Assert.True(_rig.Logs.Contains(reason), $"no log line with [{string.Join(", ", reason)}]:\n{string.Join('\n', _rig.Logs.Lines.TakeLast(10))}");
        Assert.Equal("v1", _rig.Agent.Models.CurrentVersion);
        Assert.Null(_rig.Agent.Models.CandidateVersion);
        Assert.Equal(generation, _rig.Agent.Models.Generation);
    }

    /// <summary>Flips one bit in the middle of the weights (the file still parses: only the signature/digest can tell).</summary>
    private static byte[] Flip(byte[] onnx)
    {
        var copy = (byte[])onnx.Clone();
        copy[copy.Length / 2] ^= 0x01;
        return copy;
    }
}
