using EdgeHub.Cli.Demo;
using EdgeHub.Edge;
using EdgeHub.Edge.Hosting;
using EdgeHub.Mqtt;
using EdgeHub.Testing;

namespace EdgeHub.Security.Tests.Support;

/// <summary>
/// An in-process edge agent on ephemeral ports with a temp data folder and captured logs. <see cref="StartSecureAsync"/>
/// configures its device broker exactly as <c>./edgehub demo --secure</c> does (TLS only, the demo's password file and ACL).
/// </summary>
public sealed class EdgeRig : IAsyncDisposable
{
    private readonly TempDir _dir;
    private readonly MqttBroker? _uplink;
    private readonly bool _ownsProfile;

    private EdgeRig(EdgeAgent agent, LogCapture logs, TempDir dir, DemoSecureProfile? secure, bool ownsProfile, MqttBroker? uplink)
    {
        Agent = agent;
        Logs = logs;
        _dir = dir;
        Secure = secure;
        _ownsProfile = ownsProfile;
        _uplink = uplink;
    }

    public const string EdgeId = "edge-sec";
    public const string Region = "eu";

    public EdgeAgent Agent { get; }

    public LogCapture Logs { get; }

    /// <summary>The secure profile (CA, credentials) when started secure.</summary>
    public DemoSecureProfile? Secure { get; }

    public int Port => Agent.DeviceBrokerPort;

    public string DataDirectory => _dir.Path;

    public static EdgeOptions DefaultOptions(string dataDir) => new()
    {
        EdgeId = EdgeId,
        Region = Region,
        DataDirectory = Path.Combine(dataDir, "edge"),
        DeviceBroker = new BrokerOptions { Embedded = true, Port = 0 },
        HubPublicKeyPem = SignedModels.HubPublicPem,
        PseudonymKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        StatusIntervalSeconds = 1,
        Sealing = new SealingOptions { MaxRows = 500, MaxSeconds = 2, RetrySeconds = 0.5, MaxRetrySeconds = 2 },
    };

    /// <summary>A plain edge (anonymous device broker); <paramref name="configure"/> adjusts the settings.</summary>
    public static Task<EdgeRig> StartAsync(Action<EdgeOptions>? configure = null) => StartCoreAsync(configure, false, [], null);

    /// <summary>
    /// An edge secured like the secure demo, for <paramref name="deviceIds"/>. With <paramref name="hub"/> it shares the hub's
    /// CA and credentials and uplinks to it over TLS as itself; without, its uplink goes to a stand-in plain broker.
    /// </summary>
    public static Task<EdgeRig> StartSecureAsync(IReadOnlyList<string> deviceIds, HubRig? hub = null, Action<EdgeOptions>? configure = null) =>
        StartCoreAsync(configure, true, deviceIds, hub);

    private static async Task<EdgeRig> StartCoreAsync(Action<EdgeOptions>? configure, bool secure, IReadOnlyList<string> deviceIds, HubRig? hub)
    {
        var logs = new LogCapture();
        var dir = new TempDir();
        DemoSecureProfile? profile = null;
        MqttBroker? uplink = null;
        try
        {
            var options = DefaultOptions(dir.Path);
            if (secure && hub?.Secure is { } shared)
            {
                profile = shared;
                profile.ConfigureEdge(options, tlsPort: 0, hubMqttPort: hub.MqttPort, deviceIds);
            }
            else if (secure)
            {
                profile = DemoSecureProfile.Create(dir.Path);
                // A stand-in hub broker (plain, anonymous): these tests are about the device side.
                uplink = new MqttBroker(new MqttBrokerOptions { Port = 0 });
                await uplink.StartAsync();
                profile.ConfigureEdge(options, tlsPort: 0, hubMqttPort: uplink.Port, deviceIds);
                options.HubBroker = new BrokerOptions { Host = "127.0.0.1", Port = uplink.Port };
            }

            configure?.Invoke(options);
            var agent = new EdgeAgent(options, logs.Factory());
            try
            {
                await agent.StartAsync(CancellationToken.None);
                await Eventually.TrueAsync(() => agent.HubConnected, TimeSpan.FromSeconds(15), "agent connects its uplink");
            }
            catch
            {
                await agent.DisposeAsync();
                throw;
            }

            return new EdgeRig(agent, logs, dir, profile, hub is null, uplink);
        }
        catch
        {
            if (uplink is not null)
            {
                await uplink.DisposeAsync();
            }

            if (hub is null)
            {
                profile?.Dispose();
            }

            dir.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Agent.DisposeAsync();
        if (_uplink is not null)
        {
            await _uplink.DisposeAsync();
        }

        if (_ownsProfile)
        {
            Secure?.Dispose();
        }

        _dir.Dispose();
    }
}
