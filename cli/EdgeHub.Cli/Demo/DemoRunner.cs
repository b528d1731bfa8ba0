using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using EdgeHub.Contracts;
using EdgeHub.Edge;
using EdgeHub.Edge.Hosting;
using EdgeHub.Hub.Hosting;
using EdgeHub.Hub.Options;
using EdgeHub.Learning.Data;
using EdgeHub.Mqtt;
using EdgeHub.Simulator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EdgeHub.Cli.Demo;

/// <summary>
/// The whole loop on one machine: a hub (embedded broker, SQLite catalog), one edge per region (each with its embedded
/// device broker, uplinked to the hub), a simulated fleet per edge with scripted episodes, and a clinician bot per site.
/// Seed data gives each region its first model; clinicians' labels then flow edge → delta → dataset → retrain → rollout.
/// </summary>
internal sealed class DemoRunner(DemoOptions options, TextWriter output) : IAsyncDisposable
{
    /// <summary>Lowest port <see cref="FreePort"/> picks (above the well-known and most registered services' ports).</summary>
    private const int MinPort = 10_000;

    private readonly List<RegionRig> _rigs = [];
    private readonly HashSet<int> _ports = [];
    private readonly HashSet<string> _rolledOut = new(StringComparer.Ordinal);
    private readonly Stopwatch _clock = new();
    private WebApplication? _hub;
    private HttpClient? _api;
    private DemoSecureProfile? _secure;
    private string _edgeApiToken = "";

    /// <summary>Runs the demo until the duration passes or <paramref name="ct"/> is cancelled; writes demo-summary.json.</summary>
    public async Task<int> RunAsync(CancellationToken ct)
    {
        var dataDir = Path.GetFullPath(options.DataDirectory);
        Directory.CreateDirectory(dataDir);
        output.WriteLine($"demo: data in {dataDir}");
        var hubHttpPort = FreePort();
        var hubMqttPort = FreePort();
        _secure = options.Secure ? DemoSecureProfile.Create(dataDir) : null;
        var hubUrl = $"{(_secure is null ? "http" : "https")}://127.0.0.1:{hubHttpPort}";
        var operatorToken = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

        var hubOptions = new HubOptions
        {
            NodeId = "hub-1",
            DataRoot = Path.Combine(dataDir, "hub"),
            Regions = [.. DemoOptions.Regions],
            Broker = new Hub.Options.BrokerOptions { Mode = "embedded", Port = hubMqttPort },
            Api = new ApiOptions { PublicUrl = hubUrl },
            Learning = new LearningOptions
            {
                RetrainMinNewRows = 20,
                CheckIntervalSeconds = 3,
                ShadowWindows = 20,
                RolloutTickSeconds = 1,
            },
        };
        hubOptions.Api.Tokens[operatorToken] = Roles.Operator;
        // The edges' token for model downloads by Url (models above the hub's inline limit).
        _edgeApiToken = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        hubOptions.Api.Tokens[_edgeApiToken] = Roles.Edge;
        foreach (var region in DemoOptions.Regions)
        {
            hubOptions.Edges[DemoSeed.EdgeId(region)] = region;
            hubOptions.Edges[EdgeIdOf(region)] = region;
        }

        _secure?.ConfigureHub(hubOptions, hubMqttPort, hubUrl, [.. DemoOptions.Regions.Select(r => (EdgeIdOf(r), r))]);
        hubOptions.Resolve();
        output.WriteLine("demo: starting the hub...");
        _hub = HubApp.Build(hubOptions, b => b.WebHost.UseUrls(hubUrl));
        await _hub.StartAsync(ct).ConfigureAwait(false);
        _api = new HttpClient(_secure is null ? new HttpClientHandler() : _secure.CreateHttpHandler())
        {
            BaseAddress = new Uri(hubUrl),
            Timeout = TimeSpan.FromSeconds(30),
        };
        _api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", operatorToken);

        var records = DemoSeed.RealPatients(options.SeedRecords, output, ct);
        foreach (var region in DemoOptions.Regions)
        {
            await UploadSeedAsync(region, records, ct).ConfigureAwait(false);
        }

        var publicKey = _hub.Services.GetRequiredService<ECDsa>().ExportSubjectPublicKeyInfoPem();
        var devicesPerRegion = Math.Max(1, options.Devices / DemoOptions.Regions.Count);
        for (var i = 0; i < DemoOptions.Regions.Count; i++)
        {
            var rig = await StartRegionAsync(DemoOptions.Regions[i], i, devicesPerRegion, hubMqttPort, hubUrl, publicKey, dataDir, ct).ConfigureAwait(false);
            _rigs.Add(rig);
        }

        output.WriteLine($"demo: hub dashboard {hubUrl}/  (operator token in {HubSecrets.OperatorTokenPath(hubOptions)}; this run's token: {operatorToken})");
        foreach (var rig in _rigs)
        {
            output.WriteLine($"demo: edge {rig.EdgeId} ({rig.Region}) clinician page {rig.ClinicianUrl}  devices broker {(_secure is null ? "" : "mqtts://")}127.0.0.1:{rig.DeviceBrokerPort}");
        }

        if (_secure is not null)
        {
            var endpoints = _secure.WriteEndpoints();
            output.WriteLine($"demo: secure profile: TLS only (CA {_secure.Pki.CaFile}), per-client logins and ACLs; endpoints and credentials in {endpoints}");
        }

        _clock.Start();
        var view = new DemoView(output);
        var tracker = new LoopTracker();
        using var duration = options.Duration is { } d ? new CancellationTokenSource(d) : new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, duration.Token);
        var fleetRuns = _rigs.Select(r => r.Fleet.RunAsync(linked.Token)).ToArray();
        var snapshot = await SnapshotAsync(tracker, CancellationToken.None).ConfigureAwait(false);
        try
        {
            while (!linked.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(2), linked.Token).ConfigureAwait(false);
                snapshot = await SnapshotAsync(tracker, CancellationToken.None).ConfigureAwait(false);
                view.Render(snapshot);
            }
        }
        catch (OperationCanceledException)
        {
        }

        output.WriteLine("demo: stopping devices, flushing edges...");
        await Task.WhenAll(fleetRuns.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default))).ConfigureAwait(false);
        await FlushEdgesAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        snapshot = await SnapshotAsync(tracker, CancellationToken.None).ConfigureAwait(false);
        var summary = await DemoSummary.BuildAsync(snapshot, _rigs, hubOptions, _clock.Elapsed, options.Devices, tracker).ConfigureAwait(false);
        var path = Path.Combine(dataDir, "demo-summary.json");
        await File.WriteAllTextAsync(path, summary.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }), CancellationToken.None).ConfigureAwait(false);
        view.Render(snapshot);
        output.WriteLine($"demo: summary written to {path}");
        output.WriteLine(summary.ToJsonString());
        return 0;
    }

    /// <summary>Stops everything in reverse order of start.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var rig in _rigs)
        {
            await rig.DisposeAsync().ConfigureAwait(false);
        }

        _api?.Dispose();
        if (_hub is not null)
        {
            await _hub.StopAsync(CancellationToken.None).ConfigureAwait(false);
            await _hub.DisposeAsync().ConfigureAwait(false);
        }

        _secure?.Dispose();
    }

    private static string EdgeIdOf(string region) => $"edge-{region}-1";

    private async Task UploadSeedAsync(string region, IReadOnlyList<SeedWindows> records, CancellationToken ct)
    {
        var (bytes, rows) = DemoSeed.Build(region, devicesPerClass: 60, secondsPerDevice: 30, seed: options.Seed + region.GetHashCode(StringComparison.Ordinal), records);
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(ContentTypes.Parquet);
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/deltas/{region}/{DemoSeed.EdgeId(region)}/1") { Content = content };
        request.Headers.Add(DeltaProperties.DeltaId, $"seed-{region}-{Convert.ToHexStringLower(SHA256.HashData(bytes))[..12]}");
        request.Headers.Add(DeltaProperties.Rows, rows.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add(DeltaProperties.Sha256, Convert.ToHexStringLower(SHA256.HashData(bytes)));
        request.Headers.Add(DeltaProperties.SchemaId, DeltaSchema.Id);
        using var response = await _api!.SendAsync(request, ct).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"seed dataset for region {region} refused by the hub ({(int)response.StatusCode}): {body}");
        }

        output.WriteLine($"demo: region {region}: seeded {rows} curated labelled windows ({bytes.Length / 1024} KB delta)");
    }

    private async Task<RegionRig> StartRegionAsync(string region, int index, int devices, int hubMqttPort, string hubUrl, string publicKey,
        string dataDir, CancellationToken ct)
    {
        var edgeId = EdgeIdOf(region);
        var edgePort = FreePort();
        var edgeUrl = $"http://127.0.0.1:{FreePort()}";
        var pseudonymKey = Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"demo-region-key-{region}")));
        // A fresh clinician token per run: the page and its API refuse requests without one.
        var clinicianToken = System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(24));
        // The fleet is built first (nothing connects yet): a secure device broker needs its devices' logins at start.
        var fleet = new Fleet(new FleetOptions
        {
            BrokerHost = "127.0.0.1",
            BrokerPort = edgePort,
            Devices = devices,
            Seed = options.Seed + (index * 7919),
            ClientIdPrefix = $"sim-{region}",
            Scenario = Scenario.Default,
            TruthPath = Path.Combine(dataDir, $"truth-{region}.jsonl"),
            Tls = _secure?.ClientTls(),
            DevicePassword = _secure is null ? null : _secure.Credentials.PasswordOf,
        });
        WebApplication? app = null;
        try
        {
            app = EdgeHost.Build(null, [$"--urls={edgeUrl}"], o =>
            {
                o.EdgeId = edgeId;
                o.Region = region;
                o.DataDirectory = Path.Combine(dataDir, edgeId);
                o.DeviceBroker = new Edge.BrokerOptions { Embedded = true, Port = edgePort };
                o.HubBroker = new Edge.BrokerOptions { Host = "127.0.0.1", Port = hubMqttPort };
                _secure?.ConfigureEdge(o, edgePort, hubMqttPort, fleet.DeviceIds);
                o.HubPublicKeyPem = publicKey;
                o.PseudonymKey = pseudonymKey;
                o.HubUrl = hubUrl;
                o.HubApiToken = _edgeApiToken;
                o.HubCaFile = _secure?.Pki.CaFile;
                o.StatusIntervalSeconds = 2;
                o.Sealing.MaxSeconds = 5;
                o.Clinician.Tokens.Add(new ClinicianToken { Name = $"demo-clinician-{region}", Token = clinicianToken });
            });
            await app.StartAsync(ct).ConfigureAwait(false);
            var agent = app.Services.GetRequiredService<EdgeAgent>();
            var clinician = DemoCredentials.ClinicianUser(region);
            var bot = new ClinicianBot(new MqttClientOptions
            {
                Host = "127.0.0.1",
                Port = agent.DeviceBrokerPort,
                ClientId = $"clinician-{region}",
                Tls = _secure?.ClientTls(),
                Username = _secure is null ? null : clinician,
                Password = _secure?.Credentials.PasswordOf(clinician),
            }, fleet.Truth, new ClinicianBotOptions { ClientId = $"clinician-bot-{region}", Delay = TimeSpan.FromSeconds(2) });
            await bot.StartAsync(ct).ConfigureAwait(false);
            return new RegionRig(region, edgeId, edgeUrl, $"{edgeUrl}/#token={clinicianToken}", agent.DeviceBrokerPort, app, agent, fleet, bot);
        }
        catch
        {
            await fleet.DisposeAsync().ConfigureAwait(false);
            if (app is not null)
            {
                await app.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    private async Task FlushEdgesAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            var pending = 0L;
            foreach (var rig in _rigs)
            {
                pending += rig.Agent.Store.PendingRows + rig.Agent.Store.UnackedCount + rig.Agent.Writer.Queued;
            }

            if (pending == 0)
            {
                return;
            }

            foreach (var rig in _rigs)
            {
                await rig.Agent.Writer.FlushAsync().ConfigureAwait(false);
            }

            await Task.Delay(250).ConfigureAwait(false);
        }

        output.WriteLine("demo: warning: edges still had unacknowledged data after the flush deadline");
    }

    private async Task<DemoSnapshot> SnapshotAsync(LoopTracker tracker, CancellationToken ct)
    {
        var snapshot = new DemoSnapshot { Elapsed = _clock.Elapsed };
        foreach (var rig in _rigs)
        {
            snapshot.Edges.Add(EdgeSnapshot.Of(rig));
        }

        try
        {
            snapshot.Datasets = await GetJsonAsync("/api/v1/datasets", ct).ConfigureAwait(false);
            snapshot.Models = await GetJsonAsync("/api/v1/models", ct).ConfigureAwait(false);
            snapshot.Rollouts = await GetJsonAsync("/api/v1/rollouts", ct).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            snapshot.ApiError = ex.Message;
        }

        tracker.Observe(snapshot);
        await RollOutNewModelsAsync(snapshot, ct).ConfigureAwait(false);
        return snapshot;
    }

    /// <summary>
    /// The demo's operator: when a region has a newly approved retrained model and no rollout in progress, roll it out
    /// (the region's edge as canary, then the rest of the region in one wave), as a hub operator would with `ctl rollouts create`.
    /// </summary>
    private async Task RollOutNewModelsAsync(DemoSnapshot snapshot, CancellationToken ct)
    {
        foreach (var rig in _rigs)
        {
            var busy = DemoSnapshot.Items(snapshot.Rollouts).Any(r => r?["region"]?.ToString() == rig.Region
                && r?["state"]?.ToString() is { } state && !IsFinished(state));
            if (busy)
            {
                continue;
            }

            var candidate = DemoSnapshot.Items(snapshot.Models)
                .Where(m => m?["region"]?.ToString() == rig.Region && m?["status"]?.ToString() == "approved"
                    && !string.IsNullOrEmpty(m?["parentVersion"]?.ToString()))
                .Select(m => m!["version"]!.ToString())
                .FirstOrDefault();
            if (candidate is null || candidate == rig.Agent.Models.CurrentVersion || !_rolledOut.Add(candidate))
            {
                continue;
            }

            var body = new JsonObject
            {
                ["region"] = rig.Region,
                ["modelVersion"] = candidate,
                ["canaryEdges"] = new JsonArray(rig.EdgeId),
                ["canaryDurationSeconds"] = 5,
                ["waves"] = new JsonArray(new JsonObject { ["percent"] = 100, ["intervalSeconds"] = 5 }),
                ["shadowWindows"] = 20,
            };
            using var content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
            using var response = await _api!.PostAsync("/api/v1/rollouts", content, ct).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            output.WriteLine(response.IsSuccessStatusCode
                ? $"demo: operator rolls out {candidate} in {rig.Region} (canary {rig.EdgeId})"
                : $"demo: rollout of {candidate} refused ({(int)response.StatusCode}): {text}");
        }
    }

    private static bool IsFinished(string state) =>
        state.Equals("complete", StringComparison.OrdinalIgnoreCase) || state.Equals("completed", StringComparison.OrdinalIgnoreCase)
        || state.Contains("rolled", StringComparison.OrdinalIgnoreCase) || state.Contains("abort", StringComparison.OrdinalIgnoreCase);

    private async Task<JsonNode?> GetJsonAsync(string path, CancellationToken ct)
    {
        using var response = await _api!.GetAsync(path, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            return null;
        }

        return JsonNode.Parse(await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false));
    }

    /// <summary>
    /// A port for one of the demo's listeners, chosen before it starts (the secure profile writes it into settings and
    /// certificates). Taken at random below the kernel's ephemeral range and checked free: a port the kernel handed out as
    /// "any free port" is soon handed out again, to an outgoing connection or another such listener, and a listener started
    /// a moment later then failed with "Address already in use" (seen with tests running beside the demo).
    /// </summary>
    private int FreePort()
    {
        var below = EphemeralLow();
        for (var attempt = 0; below - MinPort >= 1000 && attempt < 200; attempt++)
        {
            var port = Random.Shared.Next(MinPort, below);
            if (_ports.Contains(port))
            {
                continue;
            }

            try
            {
                using var probe = new TcpListener(IPAddress.Loopback, port);
                probe.Start();
                _ports.Add(port);
                return port;
            }
            catch (SocketException)
            {
                // taken: try another
            }
        }

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Lowest port of the kernel's ephemeral range (Linux; 32768 elsewhere or when unreadable).</summary>
    private static int EphemeralLow()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            return int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 32768;
        }
    }
}
