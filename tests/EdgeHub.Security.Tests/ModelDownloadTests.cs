using EdgeHub.Contracts;
using EdgeHub.Edge;
using EdgeHub.Learning.Registry;
using EdgeHub.Security.Tests.Support;
using EdgeHub.Testing;

namespace EdgeHub.Security.Tests;

/// <summary>
/// Models above the hub's inline limit (512 KB) travel by Url: the edge downloads them from the secure hub's HTTPS API
/// (certificate from the demo's private CA) with its hub API token. Without the token, or without trusting the CA, the
/// download fails with a reason in the log that says what to set, and the edge keeps serving its model.
/// </summary>
public sealed class ModelDownloadTests : IAsyncLifetime
{
    private const string BigVersion = "eu-900";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private HubRig _hub = null!;
    private byte[] _big = null!;

    public async Task InitializeAsync()
    {
        _hub = await HubRig.StartSecureAsync([(EdgeRig.EdgeId, EdgeRig.Region)]);
        _big = SignedModels.Model(BigVersion, bias: 0.25f, paddingBytes: 600 * 1024);
        Assert.True(_big.Length > 512 * 1024, $"the model is {_big.Length} bytes, not above the inline limit");
        var sha = ModelSignature.Sha256Hex(_big);
        Assert.True(await _hub.Get<IModelRegistryStore>().AddAsync(new RegisteredModel
        {
            Version = BigVersion,
            Region = EdgeRig.Region,
            TrainingMode = "full",
            FeatureSchemaId = FeatureSchema.Id,
            Sha256 = sha,
            Signature = ModelSignature.Sign(_big, SignedModels.HubKey),
            SizeBytes = _big.Length,
            Status = "registered",
        }, _big, CancellationToken.None));
    }

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    [Fact]
    public async Task LargeModel_ByUrlOverHttps_WithTokenAndCa_IsInstalled()
    {
        await using var edge = await StartEdgeAsync(token: HubRig.EdgeToken, trustCa: true);
        Assert.True(await edge.Agent.Models.InstallAsync(ByUrl(), CancellationToken.None), edge.Agent.Models.LastError);
        await Eventually.TrueAsync(() => edge.Agent.Models.CurrentVersion == BigVersion, Deadline, $"{BigVersion} ({_big.Length} bytes, by Url) serving");
    }

    [Fact]
    public async Task LargeModel_WithoutToken_LogsWhatToSet_AndKeepsTheModel()
    {
        await using var edge = await StartEdgeAsync(token: null, trustCa: true);
        Assert.False(await edge.Agent.Models.InstallAsync(ByUrl(), CancellationToken.None));
        Assert.Equal("v1", edge.Agent.Models.CurrentVersion);
        Assert.True(edge.Logs.Contains($"model {BigVersion} download", "401", "Edge:HubApiToken", "keeping v1"), string.Join("\n", edge.Logs.Lines));
    }

    [Fact]
    public async Task LargeModel_WithoutTheCa_FailsTheTlsHandshake_AndKeepsTheModel()
    {
        await using var edge = await StartEdgeAsync(token: HubRig.EdgeToken, trustCa: false);
        Assert.False(await edge.Agent.Models.InstallAsync(ByUrl(), CancellationToken.None));
        Assert.Equal("v1", edge.Agent.Models.CurrentVersion);
        Assert.True(edge.Logs.Contains($"model {BigVersion} download", "SSL", "keeping v1"), string.Join("\n", edge.Logs.Lines));
    }

    [Fact]
    public void Settings_TokenWithoutHubUrl_OrMissingCaFile_NamedAtStart()
    {
        var options = EdgeRig.DefaultOptions(Path.GetTempPath());
        options.HubApiToken = HubRig.EdgeToken;
        var e1 = Assert.Throws<EdgeConfigurationException>(options.Validate);
        Assert.Contains("Edge:HubApiToken is set but Edge:HubUrl is empty", e1.Message, StringComparison.Ordinal);

        options.HubUrl = "https://127.0.0.1:1";
        options.HubCaFile = "/nonexistent/ca.crt";
        var e2 = Assert.Throws<EdgeConfigurationException>(options.Validate);
        Assert.Contains("Edge:HubCaFile '/nonexistent/ca.crt' does not exist", e2.Message, StringComparison.Ordinal);
    }

    private async Task<EdgeRig> StartEdgeAsync(string? token, bool trustCa)
    {
        var edge = await EdgeRig.StartAsync(o =>
        {
            o.HubUrl = _hub.BaseAddress.ToString();
            o.HubApiToken = token;
            o.HubCaFile = trustCa ? _hub.Secure!.Pki.CaFile : null;
        });
        try
        {
            var small = SignedModels.Model("v1");
            Assert.True(await edge.Agent.Models.InstallAsync(SignedModels.Assign("v1", small), CancellationToken.None), edge.Agent.Models.LastError);
            await Eventually.TrueAsync(() => edge.Agent.Models.CurrentVersion == "v1", Deadline, "inline model v1 serving");
            return edge;
        }
        catch
        {
            await edge.DisposeAsync();
            throw;
        }
    }

    // What the hub sends for a model above its inline limit: no bytes, a Url relative to the hub (resolved against Edge:HubUrl).
    private ModelAssignment ByUrl() =>
        SignedModels.Assign(BigVersion, _big) with { ModelBase64 = null, Url = $"api/v1/models/{BigVersion}/onnx" };
}
