using System.Net.Http.Headers;
using EdgeHub.Hub.Hosting;
using EdgeHub.Hub.Ingest;
using EdgeHub.Hub.Options;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeHub.Hub.Tests.Support;

/// <summary>An in-process hub node on ephemeral ports (HTTP and embedded MQTT broker) with a temp data root.</summary>
public sealed class TestHub : IAsyncDisposable
{
    public const string OperatorToken = "operator-token-0123456789";
    public const string ViewerToken = "viewer-token-0123456789ab";
    public const string EdgeToken = "edge-token-0123456789abcd";

    private readonly bool _ownsData;

    private TestHub(WebApplication app, HubOptions options, bool ownsData)
    {
        App = app;
        Options = options;
        _ownsData = ownsData;
        BaseAddress = new Uri(HubApp.Addresses(app)[0]);
        Operator = Client(OperatorToken);
        Viewer = Client(ViewerToken);
        Edge = Client(EdgeToken);
        Anonymous = Client(null);
    }

    public WebApplication App { get; }

    public HubOptions Options { get; }

    public Uri BaseAddress { get; }

    public HttpClient Operator { get; }

    public HttpClient Viewer { get; }

    public HttpClient Edge { get; }

    public HttpClient Anonymous { get; }

    /// <summary>Port of the node's MQTT broker (embedded) or of the external one.</summary>
    public int MqttPort => Options.Broker.Mode == "embedded" ? Get<HubMqttService>().EmbeddedBrokerPort : Options.Broker.Port;

    public T Get<T>() where T : notnull => App.Services.GetRequiredService<T>();

    /// <summary>Uploads a delta over HTTP as its edge would (edge token, manifest headers) and asserts the hub took it.</summary>
    public async Task UploadAsync(TestDelta d, string region = "eu")
    {
        ArgumentNullException.ThrowIfNull(d);
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/deltas/{region}/{d.EdgeId}/{d.Sequence}") { Content = new ByteArrayContent(d.Bytes) };
        foreach (var (k, v) in d.Properties())
        {
            request.Headers.TryAddWithoutValidation(k, v);
        }

        using var response = await Edge.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"upload of {d.DeltaId}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>Starts a node; <paramref name="configure"/> adjusts the defaults (SQLite, embedded broker, regions eu + na).</summary>
    public static async Task<TestHub> StartAsync(Action<HubOptions>? configure = null, string? dataRoot = null)
    {
        var ownsData = dataRoot is null;
        var options = new HubOptions
        {
            NodeId = "test-" + Guid.NewGuid().ToString("N")[..6],
            DataRoot = dataRoot ?? Path.Combine(Path.GetTempPath(), "ehub-hub-" + Guid.NewGuid().ToString("N")[..10]),
            Regions = ["eu", "na"],
            Broker = { Port = 0 },
            Learning = { Enabled = false },
        };
        options.Api.Tokens[OperatorToken] = Roles.Operator;
        options.Api.Tokens[ViewerToken] = Roles.Viewer;
        options.Api.Tokens[EdgeToken] = Roles.Edge;
        configure?.Invoke(options);
        options.Resolve();
        var app = HubApp.Build(options, b => b.WebHost.UseUrls("http://127.0.0.1:0"));
        await app.StartAsync();
        var hub = new TestHub(app, options, ownsData);
        await hub.Get<HubMqttService>().Connected.WaitAsync(TimeSpan.FromSeconds(30));
        return hub;
    }

    public async ValueTask DisposeAsync()
    {
        Operator.Dispose();
        Viewer.Dispose();
        Edge.Dispose();
        Anonymous.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (_ownsData && Directory.Exists(Options.DataRoot))
        {
            Directory.Delete(Options.DataRoot, true);
        }
    }

    private HttpClient Client(string? token)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }
}
