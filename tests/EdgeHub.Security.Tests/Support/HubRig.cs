using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using EdgeHub.Cli.Demo;
using EdgeHub.Hub.Hosting;
using EdgeHub.Hub.Ingest;
using EdgeHub.Hub.Options;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeHub.Security.Tests.Support;

/// <summary>
/// An in-process hub node with tokens of every role. <see cref="StartSecureAsync"/> configures it exactly as the secure
/// demo does (MQTT on TLS only with edge logins and the ACL, HTTPS API) for the edges given.
/// </summary>
public sealed class HubRig : IAsyncDisposable
{
    public const string OperatorToken = "sec-operator-token-0123456789";
    public const string ViewerToken = "sec-viewer-token-0123456789ab";
    public const string EdgeToken = "sec-edge-token-0123456789abcd";

    private readonly TempDir _dir;

    private HubRig(WebApplication app, HubOptions options, TempDir dir, DemoSecureProfile? secure)
    {
        App = app;
        Options = options;
        _dir = dir;
        Secure = secure;
        BaseAddress = new Uri(HubApp.Addresses(app)[0]);
    }

    public WebApplication App { get; }

    public HubOptions Options { get; }

    public DemoSecureProfile? Secure { get; }

    public Uri BaseAddress { get; }

    public string DataRoot => Options.DataRoot;

    /// <summary>The port edges connect to (the TLS port when secure).</summary>
    public int MqttPort => Get<HubMqttService>().EmbeddedBrokerPort is var p and >= 0 ? p : Options.Broker.TlsPort;

    public T Get<T>() where T : notnull => App.Services.GetRequiredService<T>();

    public static Task<HubRig> StartAsync(Action<HubOptions>? configure = null) => StartCoreAsync(configure, null);

    /// <summary>A hub secured like the secure demo, for <paramref name="edges"/> (fixed free ports: the settings name them).</summary>
    public static Task<HubRig> StartSecureAsync(IReadOnlyList<(string EdgeId, string Region)> edges, Action<HubOptions>? configure = null) =>
        StartCoreAsync(configure, edges);

    private static async Task<HubRig> StartCoreAsync(Action<HubOptions>? configure, IReadOnlyList<(string EdgeId, string Region)>? secureEdges)
    {
        var dir = new TempDir();
        DemoSecureProfile? secure = null;
        try
        {
            var options = new HubOptions
            {
                NodeId = "sec-" + Guid.NewGuid().ToString("N")[..6],
                DataRoot = Path.Combine(dir.Path, "hub"),
                Regions = ["eu", "na"],
                Broker = { Port = 0 },
                Learning = { Enabled = false },
            };
            options.Api.Tokens[OperatorToken] = Roles.Operator;
            options.Api.Tokens[ViewerToken] = Roles.Viewer;
            options.Api.Tokens[EdgeToken] = Roles.Edge;
            var url = "http://127.0.0.1:0";
            if (secureEdges is not null)
            {
                secure = DemoSecureProfile.Create(dir.Path);
                url = $"https://127.0.0.1:{FreePort()}";
                secure.ConfigureHub(options, FreePort(), url, secureEdges);
            }

            configure?.Invoke(options);
            options.Resolve();
            var app = HubApp.Build(options, b => b.WebHost.UseUrls(url));
            try
            {
                await app.StartAsync();
                await app.Services.GetRequiredService<HubMqttService>().Connected.WaitAsync(TimeSpan.FromSeconds(30));
            }
            catch
            {
                await app.DisposeAsync();
                throw;
            }

            return new HubRig(app, options, dir, secure);
        }
        catch
        {
            secure?.Dispose();
            dir.Dispose();
            throw;
        }
    }

    /// <summary>An HTTP client for <paramref name="token"/> (null = anonymous) that trusts the secure demo CA when there is one.</summary>
    public HttpClient Client(string? token)
    {
        var client = new HttpClient(Secure is null ? new HttpClientHandler() : Secure.CreateHttpHandler())
        {
            BaseAddress = BaseAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Secure?.Dispose();
        _dir.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
