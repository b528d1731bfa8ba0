using System.Collections.Concurrent;
using System.Diagnostics;
using EdgeHub.Contracts;
using EdgeHub.Edge;
using EdgeHub.Edge.Hosting;
using EdgeHub.Mqtt;
using EdgeHub.Parquet;
using EdgeHub.Simulator;
using EdgeHub.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace EdgeHub.EndToEnd.Tests.Browser;

/// <summary>
/// The clinician page of a real edge agent (EdgeHost in-process, embedded device broker) in chromium on a tablet-sized
/// viewport: a simulated patient's tachycardia raises a safety alert that appears on the page, and clicking Confirm puts a
/// label row into the edge's next delta.
/// </summary>
public sealed class ClinicianBrowserTests(ITestOutputHelper output) : IAsyncLifetime
{
    // One monitored patient, normal sinus rhythm for 4 s, then tachycardia at 150/min (NEWS2 red band: hr_high).
    private const string ScenarioJson = """
        { "name": "clinician-page", "sites": ["ward-7"], "devicePrefix": "dev",
          "cohorts": [ { "name": "tachy", "devices": ["dev-00001"], "episodes": [ { "kind": "tachy", "start": 4, "duration": 300, "rate": 150 } ] } ] }
        """;

    private const string Token = "clin-browser-token-4f1c9a2e7b";

    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "ehub-clin-" + Guid.NewGuid().ToString("N")[..10]);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _raisedAt = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<byte[]> _deltas = new();
    private WebApplication _edge = null!;
    private MqttClient _hubSide = null!;
    private Fleet? _fleet;
    private Task? _fleetRun;

    private EdgeAgent Agent => _edge.Services.GetRequiredService<EdgeAgent>();

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dataDir);
        _edge = EdgeHost.Build(null, ["--urls", "http://127.0.0.1:0"], o =>
        {
            o.EdgeId = "edge-clin";
            o.Region = "eu";
            o.DataDirectory = _dataDir;
            o.DeviceBroker = new BrokerOptions { Embedded = true, Port = 0 };
            o.PseudonymKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
            o.StatusIntervalSeconds = 1;
            o.Sealing = new SealingOptions { MaxRows = 500, MaxSeconds = 2, RetrySeconds = 0.5, MaxRetrySeconds = 2 };
            o.Clinician.Tokens.Add(new ClinicianToken { Name = "dr-ward7", Token = Token, Sites = ["ward-7"] });
        });
        await _edge.StartAsync();
        Agent.Alerts.Published += m =>
        {
            if (m.State == "raised")
            {
                _raisedAt.TryAdd(m.AlertId, DateTimeOffset.UtcNow);
            }
        };

        // With no hub broker configured the uplink is the device broker: listen there for deltas like a hub would.
        _hubSide = new MqttClient(new MqttClientOptions { Host = "127.0.0.1", Port = Agent.DeviceBrokerPort, ClientId = "test-hub-side" });
        _hubSide.MessageReceived = (m, _) =>
        {
            _deltas.Enqueue(m.Payload.ToArray());
            return ValueTask.CompletedTask;
        };
        await _hubSide.ConnectAsync();
        await _hubSide.SubscribeAsync(Topics.Root + "/hub/deltas/+/+", MqttQos.AtLeastOnce);
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_fleetRun is not null)
        {
            await _fleetRun.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (_fleet is not null)
        {
            await _fleet.DisposeAsync();
        }

        await _hubSide.DisposeAsync();
        // StopAsync disposes the agent (EdgeHost's hosted service); the container's DisposeAsync would dispose it a second
        // time, which EdgeAgent does not tolerate yet (ObjectDisposedException in EdgeAgent.DisposeAsync), so stop only.
        await _edge.StopAsync();
        _stop.Dispose();
        if (Directory.Exists(_dataDir))
        {
            Directory.Delete(_dataDir, true);
        }
    }

    [Fact]
    public async Task ClinicianPage_ShowsAlertWithinTwoSeconds_AndConfirmLabelsTheNextDelta()
    {
        await using var browser = await BrowserSession.StartAsync(1024, 768); // a 10" tablet in landscape
        var page = browser.Page;
        var url = Url();
        await page.GotoAsync(url + "/#token=" + Token);
        await Expect(page.Locator("#conn")).ToHaveAttributeAsync("data-state", "live", new() { Timeout = 10_000 });
        await Expect(page.Locator("#empty")).ToBeVisibleAsync();
        await Expect(page.Locator("#who")).ToContainTextAsync("dr-ward7");
        Assert.DoesNotContain(Token, page.Url, StringComparison.Ordinal); // the secret left the address bar

        // Inject the episode: the simulator streams the patient's ECG frames to the edge's device broker.
        _fleet = new Fleet(new FleetOptions
        {
            BrokerPort = Agent.DeviceBrokerPort,
            Devices = 1,
            FramesPerSecond = 1,
            SampleRate = 250,
            Scenario = Scenario.Parse(ScenarioJson),
            Duration = TimeSpan.FromSeconds(60),
            Qos = MqttQos.AtLeastOnce,
            ClientIdPrefix = "clin-sim",
            Seed = 11,
        });
        var injected = Stopwatch.StartNew();
        _fleetRun = _fleet.RunAsync(_stop.Token);

        // The NEWS2 heart-rate rule (hr_high) is what a 150/min tachycardia must raise; other cards may appear too.
        var first = page.Locator("article.card[data-kind='hr_high']").First;
        await Expect(first).ToBeVisibleAsync(new() { Timeout = 30_000 });
        var shownAt = DateTimeOffset.UtcNow;
        var alertId = (await first.GetAttributeAsync("data-alert"))!;
        var card = page.Locator($"article.card[data-alert='{alertId}']"); // cards re-order by severity: pin this one
        Assert.True(_raisedAt.TryGetValue(alertId, out var raisedAt), $"alert {alertId} on the page was never published by the agent");
        var latency = shownAt - raisedAt;
        Assert.True(latency < TimeSpan.FromSeconds(2), $"the page showed alert {alertId} {latency.TotalMilliseconds:F0} ms after the edge raised it (limit 2 s)");
        output.WriteLine($"alert {alertId}: page showed it {latency.TotalMilliseconds:F0} ms after the edge raised it, {injected.Elapsed.TotalSeconds:F1} s after the episode data started (episode begins 4 s in)");
        Assert.True(injected.Elapsed < TimeSpan.FromSeconds(20), $"alert shown {injected.Elapsed.TotalSeconds:F1} s after the episode data started");

        await Expect(card.Locator(".kind")).ToHaveTextAsync("hr high");
        await Expect(card).ToHaveAttributeAsync("data-severity", "High");
        await Expect(card.Locator(".bed")).ToContainTextAsync("Bed ");
        await Expect(card.Locator(".patient")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^p_"));
        var hr = double.Parse(await card.Locator(".hr").InnerTextAsync(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(hr, 131, 200);
        // The strip is drawn: the canvas holds dark trace pixels, not only the paper background.
        var inked = await card.Locator("canvas").EvaluateAsync<int>(
            "c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] < 80 && d[i+1] < 80 && d[i+2] < 80) n++; return n; }");
        Assert.True(inked > 200, $"the ECG canvas has only {inked} trace pixels");
        await browser.ScreenshotAsync("clinician-alert");

        var labelsBefore = Agent.Metrics.Labels;
        await card.Locator("button[data-action='confirm']").ClickAsync();
        await Expect(card).ToHaveAttributeAsync("data-labelled", "confirm", new() { Timeout = 5_000 });
        await browser.ScreenshotAsync("clinician-confirmed");
        await Eventually.TrueAsync(() => ConfirmRows(alertId) > 0, TimeSpan.FromSeconds(20), $"a delta with a 'confirm' label row for alert {alertId}");
        Assert.True(Agent.Metrics.Labels > labelsBefore, "the agent counted the clinician label");
        Assert.True(browser.Errors.Count == 0, browser.ErrorText());
    }

    [Fact]
    public async Task ClinicianPage_WithoutToken_ShowsSignIn_ThenGoesLiveWithTheToken()
    {
        await using var browser = await BrowserSession.StartAsync(1024, 768);
        var page = browser.Page;
        await page.GotoAsync(Url() + "/");
        await Expect(page.Locator("#conn")).ToHaveAttributeAsync("data-state", "signin", new() { Timeout = 10_000 });
        await Expect(page.Locator("#signin")).ToBeVisibleAsync();
        await Expect(page.Locator("#error")).ToContainTextAsync("sign-in needed");

        await page.Locator("#token").FillAsync("not-the-right-token-at-all");
        await page.Locator("#signin button[type=submit]").ClickAsync();
        await Expect(page.Locator("#error")).ToContainTextAsync("not valid on this edge");
        await Expect(page.Locator("#conn")).ToHaveAttributeAsync("data-state", "signin");

        await page.Locator("#token").FillAsync(Token);
        await page.Locator("#signin button[type=submit]").ClickAsync();
        await Expect(page.Locator("#conn")).ToHaveAttributeAsync("data-state", "live", new() { Timeout = 10_000 });
        await Expect(page.Locator("#signin")).ToBeHiddenAsync();
        // The cookie is HttpOnly: the page's scripts cannot read the token back.
        Assert.Equal("", await page.EvaluateAsync<string>("() => document.cookie"));
        var cookies = await page.Context.CookiesAsync();
        var session = Assert.Single(cookies, c => c.Name == ClinicianAccess.CookieName);
        Assert.True(session.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, session.SameSite);

        await page.Locator("#signout").ClickAsync();
        await Expect(page.Locator("#conn")).ToHaveAttributeAsync("data-state", "signin", new() { Timeout = 10_000 });
        Assert.DoesNotContain(await page.Context.CookiesAsync(), c => c.Name == ClinicianAccess.CookieName);
    }

    [Fact]
    public async Task PostLabel_BadInput_400WithReason()
    {
        var url = Url();
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        async Task<(int Status, string Body)> Post(string json, string? token = Token)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/labels")
            {
                Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json"),
            };
            if (token is not null)
            {
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            }

            var r = await http.SendAsync(request);
            return ((int)r.StatusCode, await r.Content.ReadAsStringAsync());
        }

        var anonymous = await Post("""{"alertId":"a1","action":"confirm"}""", token: null);
        Assert.Equal(401, anonymous.Status);
        Assert.Contains("sign-in needed", anonymous.Body, StringComparison.Ordinal);

        var notJson = await Post("{nope");
        Assert.Equal(400, notJson.Status);
        Assert.Contains("not a label", notJson.Body, StringComparison.Ordinal);
        var badAction = await Post("""{"alertId":"a1","action":"approve"}""");
        Assert.Equal(400, badAction.Status);
        Assert.Contains("not one of acknowledge, confirm, reject, relabel", badAction.Body, StringComparison.Ordinal);
        var badClass = await Post("""{"alertId":"a1","action":"relabel","label":"stemi"}""");
        Assert.Equal(400, badClass.Status);
        Assert.Contains("normal, af, pvc, vt, brady, tachy", badClass.Body, StringComparison.Ordinal);
        var unknown = await Post("""{"alertId":"no-such-alert","action":"confirm"}""");
        Assert.Equal(404, unknown.Status);
        Assert.Contains("not known to this edge", unknown.Body, StringComparison.Ordinal);
    }

    private string Url() =>
        _edge.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features
            .Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First();

    private int ConfirmRows(string alertId)
    {
        var n = 0;
        foreach (var bytes in _deltas)
        {
            using var reader = new ParquetReader(bytes);
            var batch = reader.ReadAll(["alert_id", "label_action"]);
            for (var r = 0; r < batch.RowCount; r++)
            {
                if (batch.String(0)[r] == alertId && batch.String(1)[r] == "confirm")
                {
                    n++;
                }
            }
        }

        return n;
    }
}
