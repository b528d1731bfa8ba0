using EdgeHub.Cli.Demo;
using EdgeHub.Mqtt;
using EdgeHub.Security.Tests.Support;
using EdgeHub.Simulator;

namespace EdgeHub.Security.Tests;

/// <summary>One secure edge (the secure demo's device-broker settings) shared by the device ACL tests.</summary>
public sealed class SecureEdgeFixture : IAsyncLifetime
{
    /// <summary>Devices of the fleet test (their own prefix, so their frames never touch the other tests' devices).</summary>
    public static readonly Scenario FleetScenario = Scenario.Parse("""{"devicePrefix":"acl","cohorts":[]}""");

    /// <summary>Devices the single-client tests log in as (dev-00001…dev-00005), then the fleet's.</summary>
    public static readonly string[] DeviceIds =
        [.. Enumerable.Range(0, 5).Select(i => Scenario.Default.DeviceId(i)), .. Enumerable.Range(0, 2).Select(i => FleetScenario.DeviceId(i))];

    public EdgeRig Rig { get; private set; } = null!;

    public DemoSecureProfile Secure => Rig.Secure!;

    public async Task InitializeAsync() => Rig = await EdgeRig.StartSecureAsync(DeviceIds);

    public async Task DisposeAsync() => await Rig.DisposeAsync();

    /// <summary>Client options of <paramref name="user"/> over TLS with the demo CA (password: the demo's, unless given).</summary>
    public MqttClientOptions Client(string? user, string? password = null, MqttProtocolVersion version = MqttProtocolVersion.V500) => new()
    {
        Host = "127.0.0.1",
        Port = Rig.Port,
        ClientId = "t-" + (user ?? "anon") + "-" + Guid.NewGuid().ToString("N")[..6],
        Username = user,
        Password = password ?? (user is null ? null : Secure.Credentials.PasswordOf(user)),
        Tls = Secure.ClientTls(),
        AutoReconnect = false,
        ProtocolVersion = version,
        ConnectTimeout = TimeSpan.FromSeconds(10),
    };
}

[CollectionDefinition("secure-edge")]
public sealed class SecureEdgeCollection : ICollectionFixture<SecureEdgeFixture>;
