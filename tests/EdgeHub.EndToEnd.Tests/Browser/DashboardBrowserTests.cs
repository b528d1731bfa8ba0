using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using EdgeHub.Contracts;
using EdgeHub.Hub.Api;
using EdgeHub.Hub.Hosting;
using EdgeHub.Hub.Ingest;
using EdgeHub.Hub.Options;
using EdgeHub.Learning.Registry;
using EdgeHub.Mqtt;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace EdgeHub.EndToEnd.Tests.Browser;

/// <summary>The hub dashboard in chromium: sign-in, an edge coming online, a rollout progressing and rolled back by a click.</summary>
public sealed class DashboardBrowserTests : IAsyncLifetime
{
    private const string OperatorToken = "dash-operator-token-0123456789";
    private static readonly LocatorAssertionsToHaveAttributeOptions Soon = new() { Timeout = 15_000 };

    private WebApplication _hub = null!;
    private HubOptions _options = null!;
    private Uri _url = null!;

    public async Task InitializeAsync()
    {
        _options = new HubOptions
        {
            NodeId = "dash-" + Guid.NewGuid().ToString("N")[..6],
            DataRoot = Path.Combine(Path.GetTempPath(), "ehub-dash-" + Guid.NewGuid().ToString("N")[..10]),
            Regions = ["eu"],
            Broker = { Port = 0 },
            // Rollouts tick fast; retraining never triggers (no rows arrive in this test).
            Learning = { Enabled = true, RolloutTickSeconds = 0.2, RetrainMinNewRows = long.MaxValue, CheckIntervalSeconds = 3600 },
        };
        _options.Edges["edge-a"] = "eu";
        _options.Api.Tokens[OperatorToken] = Roles.Operator;
        _options.Resolve();
        _hub = HubApp.Build(_options, b => b.WebHost.UseUrls("http://127.0.0.1:0"));
        await _hub.StartAsync();
        _url = new Uri(HubApp.Addresses(_hub)[0]);
        await _hub.Services.GetRequiredService<HubMqttService>().Connected.WaitAsync(TimeSpan.FromSeconds(30));
    }

    public async Task DisposeAsync()
    {
        await _hub.StopAsync();
        await _hub.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Directory.Exists(_options.DataRoot))
        {
            Directory.Delete(_options.DataRoot, true);
        }
    }

    [Fact]
    public async Task Dashboard_ShowsEdgeComingOnline_RolloutProgress_AndRollsBackOnClick()
    {
        await using var browser = await BrowserSession.StartAsync(1280, 900);
        var page = browser.Page;
        await page.GotoAsync(_url.ToString());

        // Sign in through the token dialog; the page keeps the token and opens the event stream.
        await page.Locator("#token").FillAsync(OperatorToken);
        await page.Locator("#login-form button[type=submit]").ClickAsync();
        await Expect(page.Locator("#conn")).ToHaveAttributeAsync("data-state", "live", Soon);
        var row = page.Locator("tr[data-edge='edge-a']");
        await Expect(row).ToHaveAttributeAsync("data-online", "false", Soon);

        // The edge comes online: its status message reaches the hub over MQTT, and the next snapshot shows it.
        var port = _hub.Services.GetRequiredService<HubMqttService>().EmbeddedBrokerPort;
        await using var edge = new MqttClient(new MqttClientOptions { Host = "127.0.0.1", Port = port, ClientId = "edge-a" });
        await edge.ConnectAsync();
        await PublishStatusAsync(edge, model: null);
        await Expect(row).ToHaveAttributeAsync("data-online", "true", Soon);
        await Expect(row.Locator("td.model")).ToHaveTextAsync("none");
        await browser.ScreenshotAsync("dashboard-edge-online");

        // A rollout of an approved model to edge-a as canary; the edge reports running it, and the progress shows that.
        var onnx = RandomNumberGenerator.GetBytes(64);
        var registry = _hub.Services.GetRequiredService<IModelRegistryStore>();
        Assert.True(await registry.AddAsync(new RegisteredModel
        {
            Version = "eu-1",
            Region = "eu",
            TrainingMode = "full",
            FeatureSchemaId = "ecg-features-v1",
            Sha256 = Convert.ToHexStringLower(SHA256.HashData(onnx)),
            Signature = Convert.ToBase64String(new byte[64]),
            SizeBytes = onnx.Length,
            Status = ModelStatus.Approved,
            CreatedAt = DateTimeOffset.UtcNow,
        }, onnx, CancellationToken.None));
        using var api = new HttpClient { BaseAddress = _url };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", OperatorToken);
        var created = await api.PostAsJsonAsync("/api/v1/rollouts", new { region = "eu", modelVersion = "eu-1", canaryEdges = new[] { "edge-a" }, canaryDurationSeconds = 600 });
        Assert.True(created.IsSuccessStatusCode, $"create rollout: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
        var rolloutId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("rolloutId").GetString()!;

        var card = page.Locator($"div.rollout[data-rollout='{rolloutId}']");
        await Expect(card).ToHaveAttributeAsync("data-state", "Canary", Soon);
        await Expect(card.Locator(".progress")).ToContainTextAsync("1 assigned", new() { Timeout = 15_000 });
        await PublishStatusAsync(edge, model: "eu-1");
        await Expect(card.Locator(".progress")).ToContainTextAsync("1 running", new() { Timeout = 15_000 });
        await Expect(row.Locator("td.model")).ToHaveTextAsync("eu-1", new() { Timeout = 15_000 });
        await browser.ScreenshotAsync("dashboard-rollout-canary");

        // Roll back by clicking: the page asks for confirmation, then POSTs /rollback; the stream shows the new state.
        page.Dialog += async (_, dialog) => await dialog.AcceptAsync();
        await card.Locator("button[data-action='rollback']").ClickAsync();
        await Expect(card).ToHaveAttributeAsync("data-state", "RolledBack", Soon);
        await Expect(card.Locator("button[data-action='rollback']")).ToHaveCountAsync(0);
        await browser.ScreenshotAsync("dashboard-rolled-back");
        Assert.Equal("", await page.Locator("#action-error").InnerTextAsync());
        Assert.True(browser.Errors.Count == 0, browser.ErrorText());
    }

    [Fact]
    public async Task Events_AnonymousIs401_TokenGetsSnapshotStream_AssetsNeedNoToken()
    {
        using var anonymous = new HttpClient { BaseAddress = _url };
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/events")).StatusCode);
        Assert.Contains("<title>EdgeHub dashboard</title>", await anonymous.GetStringAsync("/"), StringComparison.Ordinal);
        Assert.Contains("Charts", await anonymous.GetStringAsync("/dashboard/charts.js"), StringComparison.Ordinal);

        using var api = new HttpClient { BaseAddress = _url };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", OperatorToken);
        using var response = await api.GetAsync("/api/v1/events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Assert.Equal("event: snapshot", await reader.ReadLineAsync(deadline.Token));
        var data = (await reader.ReadLineAsync(deadline.Token))!;
        Assert.StartsWith("data: ", data, StringComparison.Ordinal);
        var snapshot = JsonDocument.Parse(data["data: ".Length..]).RootElement;
        Assert.Equal("edge-a", snapshot.GetProperty("edges")[0].GetProperty("edgeId").GetString());
        Assert.Equal("eu", snapshot.GetProperty("regions")[0].GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Array, snapshot.GetProperty("rollouts").ValueKind);
        Assert.Equal("", await reader.ReadLineAsync(deadline.Token));
    }

    private static ValueTask PublishStatusAsync(MqttClient edge, string? model) =>
        edge.PublishAsync(Topics.Status("edge-a"), JsonSerializer.SerializeToUtf8Bytes(new EdgeStatus
        {
            EdgeId = "edge-a",
            Region = "eu",
            Online = true,
            ModelVersion = model,
            QueueDepth = 2,
            Devices = 6,
            FramesPerSecond = 6,
            DriftPsi = 0.05,
            At = DateTimeOffset.UtcNow,
        }, ContractsJson.Default.EdgeStatus), MqttQos.AtLeastOnce);
}
