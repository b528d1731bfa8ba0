using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using EdgeHub.Testing;
using Xunit.Abstractions;

namespace EdgeHub.Faults.Tests.Rig;

/// <summary>
/// The standard fault topology, every service a child process of the real CLI (<c>dotnet edgehub.dll …</c>):
/// a standalone <c>edgehub broker</c> with persistence (the uplink between edge and hub), an <c>edgehub hub</c> node
/// (SQLite catalog, external broker, learning off) serving region "eu", and an <c>edgehub edge</c> with its embedded
/// device broker, whose uplink to the broker runs through a <see cref="TcpRelay"/> the test can cut. Ports are fixed per rig so a killed service comes back where its peers expect it; data directories
/// persist across restarts. Disposing kills everything and deletes the folder (kept with EDGEHUB_FAULT_KEEP=1, for debugging).
/// </summary>
public sealed class FaultRig : IAsyncDisposable
{
    /// <summary>The edge's id.</summary>
    public const string EdgeId = "edge-f1";

    /// <summary>The edge's region.</summary>
    public const string Region = "eu";

    /// <summary>Operator token of the hub API.</summary>
    public const string OperatorToken = "faults-operator-token-0123456789";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private readonly ITestOutputHelper _output;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };

    private FaultRig(RigSettings settings, ITestOutputHelper output, string scenario)
    {
        Settings = settings;
        _output = output;
        Root = Path.Combine(Path.GetTempPath(), $"ehub-faults-{scenario}-{Guid.NewGuid():N}"[..48]);
        Directory.CreateDirectory(Root);
        BrokerPort = FreePorts.Next();
        HubHttpPort = FreePorts.Next();
        EdgeHttpPort = FreePorts.Next();
        DeviceBrokerPort = FreePorts.Next();
        Uplink = new TcpRelay(FreePorts.Next(), BrokerPort);
        Uplink.Heal();
        var cli = Path.Combine(AppContext.BaseDirectory, "edgehub.dll");
        if (!File.Exists(cli))
        {
            throw new InvalidOperationException($"the edgehub CLI was not built next to the tests ({cli}): build tests/EdgeHub.Faults.Tests");
        }

        var logs = Path.Combine(Root, "logs");
        Broker = new ChildProcess("broker", logs, "dotnet",
            [cli, "broker", "--port", Text(BrokerPort), "--persistence", Path.Combine(Root, "broker")]);
        Hub = new ChildProcess("hub", logs, "dotnet", [cli, "hub", "--config", WriteHubConfig()],
            new Dictionary<string, string?> { ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{HubHttpPort}", ["EDGEHUB_DATA"] = null });
        Edge = new ChildProcess("edge", logs, "dotnet", [cli, "edge", "--config", WriteEdgeConfig()],
            new Dictionary<string, string?> { ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{EdgeHttpPort}", ["EDGEHUB_DATA"] = null });
    }

    /// <summary>Settings of this rig.</summary>
    public RigSettings Settings { get; }

    /// <summary>The rig's folder (data, configs, logs).</summary>
    public string Root { get; }

    /// <summary>Port of the uplink broker (the standalone one, or the hub's embedded one with <see cref="RigSettings.HubEmbeddedBroker"/>).</summary>
    public int BrokerPort { get; }

    /// <summary>Hub HTTP port.</summary>
    public int HubHttpPort { get; }

    /// <summary>Edge HTTP port (/healthz, /metrics).</summary>
    public int EdgeHttpPort { get; }

    /// <summary>Port of the edge's embedded device broker.</summary>
    public int DeviceBrokerPort { get; }

    /// <summary>
    /// The edge's network path to the uplink broker (the hub reaches the broker directly): cut it to partition the edge
    /// from the hub while everything keeps running.
    /// </summary>
    public TcpRelay Uplink { get; }

    /// <summary>The standalone broker process.</summary>
    public ChildProcess Broker { get; }

    /// <summary>The hub node process.</summary>
    public ChildProcess Hub { get; }

    /// <summary>The edge agent process.</summary>
    public ChildProcess Edge { get; }

    /// <summary>The hub's data root (datasets, catalog).</summary>
    public string HubData => Path.Combine(Root, "hub");

    /// <summary>The edge's SQLite store.</summary>
    public string EdgeStorePath => Path.Combine(Root, "edge", "edge.db");

    /// <summary>Creates the rig's folder and configuration; starts nothing.</summary>
    public static FaultRig Create(RigSettings settings, ITestOutputHelper output, string scenario) => new(settings, output, scenario);

    /// <summary>Starts broker, hub and edge and waits until each is ready.</summary>
    public async Task StartAllAsync()
    {
        if (!Settings.HubEmbeddedBroker)
        {
            await StartBrokerAsync();
        }

        await Task.WhenAll(StartHubAsync(), StartEdgeAsync());
    }

    /// <summary>Starts (or restarts) the broker and waits until it accepts connections.</summary>
    public async Task StartBrokerAsync()
    {
        Broker.Start();
        await WaitAsync(Broker, () => FreePorts.AcceptsAsync(BrokerPort), "broker accepts connections");
    }

    /// <summary>Starts (or restarts) the hub and waits for /readyz (catalog migrated and reconciled, MQTT connected).</summary>
    public async Task StartHubAsync()
    {
        Hub.Start();
        await WaitHubReadyAsync();
    }

    /// <summary>Waits for the hub's /readyz.</summary>
    public Task WaitHubReadyAsync() => WaitAsync(Hub, () => HttpOkAsync($"http://127.0.0.1:{HubHttpPort}/readyz"), "hub /readyz answers 200");

    /// <summary>Starts (or restarts) the edge and waits until /healthz answers and devices can connect.</summary>
    public async Task StartEdgeAsync()
    {
        Edge.Start();
        await WaitAsync(Edge, async () => await HttpOkAsync($"http://127.0.0.1:{EdgeHttpPort}/healthz") && await FreePorts.AcceptsAsync(DeviceBrokerPort),
            "edge /healthz answers and its device broker accepts connections");
    }

    /// <summary>The edge's Prometheus metrics (name → value; labelled series are skipped).</summary>
    public async Task<Dictionary<string, double>> EdgeMetricsAsync()
    {
        var text = await _http.GetStringAsync(new Uri($"http://127.0.0.1:{EdgeHttpPort}/metrics"));
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            if (line.Length == 0 || line[0] == '#' || space < 0 || line.Contains('{', StringComparison.Ordinal))
            {
                continue;
            }

            if (double.TryParse(line.AsSpan(space + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
            {
                metrics[line[..space]] = v;
            }
        }

        return metrics;
    }

    /// <summary>GET on the hub's REST API as the operator; throws with the status and body on failure.</summary>
    public async Task<JsonNode> HubApiAsync(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://127.0.0.1:{HubHttpPort}{path}"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", OperatorToken);
        using var response = await _http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode
            ? JsonNode.Parse(body) ?? throw new InvalidOperationException($"hub GET {path}: empty body")
            : throw new InvalidOperationException($"hub GET {path}: {(int)response.StatusCode} {body}");
    }

    /// <summary>Sum of the hub's Prometheus series named <paramref name="name"/> whose labels contain <paramref name="label"/> (e.g. result="duplicate").</summary>
    public async Task<double> HubMetricAsync(string name, string label)
    {
        var text = await _http.GetStringAsync(new Uri($"http://127.0.0.1:{HubHttpPort}/metrics"));
        double sum = 0;
        foreach (var line in text.Split('\n'))
        {
            var space = line.LastIndexOf(' ');
            if (line.StartsWith(name + "{", StringComparison.Ordinal) && line.Contains(label, StringComparison.Ordinal) && space > 0
                && double.TryParse(line.AsSpan(space + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
            {
                sum += v;
            }
        }

        return sum;
    }

    /// <summary>One edge metric (0 when absent).</summary>
    public async Task<double> EdgeMetricAsync(string name) => (await EdgeMetricsAsync()).GetValueOrDefault(name);

    /// <summary>Writes a progress line to the test output (with the time, to read against the service logs).</summary>
    public void Log(string message) => _output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {message}");

    /// <summary>The tails of every service log, for failure messages.</summary>
    public string Logs() =>
        $"--- broker ---\n{Broker.LogTail(1500)}\n--- hub ---\n{Hub.LogTail(2500)}\n--- edge ---\n{Edge.LogTail(3500)}";

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        // Reverse order of dependence: devices' edge first, then hub, then broker.
        await Edge.DisposeAsync();
        await Uplink.DisposeAsync();
        await Hub.DisposeAsync();
        await Broker.DisposeAsync();
        _http.Dispose();
        if (Environment.GetEnvironmentVariable("EDGEHUB_FAULT_KEEP") == "1")
        {
            _output.WriteLine($"EDGEHUB_FAULT_KEEP=1: data and logs kept in {Root}");
            return;
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private async Task<bool> HttpOkAsync(string url)
    {
        try
        {
            using var response = await _http.GetAsync(new Uri(url));
            return response.IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    private async Task WaitAsync(ChildProcess process, Func<Task<bool>> ready, string what)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            await Eventually.TrueAsync(async () =>
            {
                process.EnsureRunning();
                return await ready();
            }, StartTimeout, what);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}\n{process.LogTail()}", ex);
        }

        Log($"{process.Name} ready (start {process.Starts}) in {clock.ElapsedMilliseconds} ms");
    }

    private string WriteHubConfig()
    {
        var path = Path.Combine(Root, "hub.json");
        File.WriteAllText(path, RigConfigs.Hub(HubData, EdgeId, Region, BrokerPort, Settings.HubEmbeddedBroker, OperatorToken).ToJsonString());
        return path;
    }

    private string WriteEdgeConfig()
    {
        var path = Path.Combine(Root, "edge.json");
        File.WriteAllText(path, RigConfigs.Edge(Settings, EdgeId, Region, Path.Combine(Root, "edge"), DeviceBrokerPort, Uplink.Port).ToJsonString());
        return path;
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
