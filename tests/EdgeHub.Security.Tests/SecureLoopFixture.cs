using EdgeHub.Mqtt;
using EdgeHub.Security.Tests.Support;
using EdgeHub.Simulator;
using EdgeHub.Testing;

namespace EdgeHub.Security.Tests;

/// <summary>
/// The secure demo's components in process: a hub (MQTT on TLS only with edge logins and ACL, HTTPS API), one edge (device
/// broker on TLS only with device logins and ACL) uplinked to it as itself, and four devices with known patient ids
/// (P-00001…) streaming through TLS with their own credentials until the hub has committed several deltas. The fleet is
/// stopped and the edge drained before the tests look at what was written.
/// </summary>
public sealed class SecureLoopFixture : IAsyncLifetime
{
    public const int Devices = 4;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    public HubRig Hub { get; private set; } = null!;

    public EdgeRig Edge { get; private set; } = null!;

    /// <summary>Device ids of the fleet.</summary>
    public IReadOnlyList<string> DeviceIds { get; private set; } = [];

    /// <summary>Raw patient ids the devices sent in every frame.</summary>
    public IReadOnlyList<string> PatientIds { get; } = [.. Enumerable.Range(1, Devices).Select(i => $"P-{i:D5}")];

    /// <summary>Frames the fleet sent.</summary>
    public long FramesSent { get; private set; }

    public async Task InitializeAsync()
    {
        DeviceIds = [.. Enumerable.Range(0, Devices).Select(i => Scenario.Default.DeviceId(i))];
        Hub = await HubRig.StartSecureAsync([(EdgeRig.EdgeId, EdgeRig.Region)], o => o.Edges[EdgeRig.EdgeId] = EdgeRig.Region);
        Edge = await EdgeRig.StartSecureAsync(DeviceIds, Hub);
        await using var fleet = new Fleet(new FleetOptions
        {
            BrokerPort = Edge.Port,
            Devices = Devices,
            Qos = MqttQos.AtLeastOnce,
            ClientIdPrefix = "loop-sim",
            Tls = Hub.Secure!.ClientTls(),
            DevicePassword = Hub.Secure.Credentials.PasswordOf,
            Seed = 11,
        });
        Assert.Equal(DeviceIds, fleet.DeviceIds);
        using var stop = new CancellationTokenSource();
        var run = fleet.RunAsync(stop.Token);
        try
        {
            await Eventually.TrueAsync(() => Edge.Agent.Metrics.DeltasAcked >= 3 || run.IsCompleted, Deadline,
                "the hub commits three deltas of the secure edge (TLS + logins on both hops)");
            Assert.False(run.IsFaulted, run.Exception?.ToString());
        }
        finally
        {
            await stop.CancelAsync();
            await run.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        FramesSent = fleet.Stats.FramesSent;
        Assert.Equal(0, fleet.Stats.ConnectFailures);
        await DrainAsync();
    }

    public async Task DisposeAsync()
    {
        if (Edge is not null)
        {
            await Edge.DisposeAsync();
        }

        if (Hub is not null)
        {
            await Hub.DisposeAsync();
        }
    }

    /// <summary>Seals what is pending and waits until the hub has acknowledged every delta.</summary>
    private async Task DrainAsync()
    {
        var agent = Edge.Agent;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            await agent.Writer.FlushAsync();
            try
            {
                await Eventually.TrueAsync(() => agent.Writer.Queued == 0 && agent.Store.PendingRows == 0 && agent.Store.UnackedCount == 0,
                    TimeSpan.FromSeconds(5), "the edge drains: every row sealed and every delta acknowledged by the hub");
                return;
            }
            catch (TimeoutException) when (clock.Elapsed < Deadline)
            {
                // Rows arrived after the flush (frames in flight when the fleet stopped): seal again.
            }
        }
    }
}

[CollectionDefinition("secure-loop")]
public sealed class SecureLoopCollection : ICollectionFixture<SecureLoopFixture>;
