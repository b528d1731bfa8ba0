using EdgeHub.Edge;
using EdgeHub.Edge.Hosting;
using EdgeHub.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeHub.Hub.Tests.Support;

/// <summary>
/// Real edge agents in process, each with its own embedded device broker (ephemeral port), data folder and model store,
/// connected to the hub's MQTT broker as their uplink and verifying models with the hub's public key — the edges a rollout
/// moves, exactly as deployed, minus the process boundary.
/// </summary>
public sealed class RealEdgeFleet : IAsyncDisposable
{
    private readonly string _root;

    private RealEdgeFleet(string root, Dictionary<string, EdgeAgent> agents)
    {
        _root = root;
        Agents = agents;
    }

    /// <summary>The agents by edge id.</summary>
    public IReadOnlyDictionary<string, EdgeAgent> Agents { get; }

    /// <summary>Starts one agent per id in <paramref name="region"/>, uplinked to <paramref name="hub"/>; returns once all are connected.</summary>
    public static async Task<RealEdgeFleet> StartAsync(TestHub hub, string region, IReadOnlyList<string> edgeIds)
    {
        var publicKey = await hub.Anonymous.GetStringAsync("/api/v1/signing-key");
        var root = Path.Combine(Path.GetTempPath(), "ehub-edges-" + Guid.NewGuid().ToString("N")[..10]);
        var agents = new Dictionary<string, EdgeAgent>(StringComparer.Ordinal);
        var fleet = new RealEdgeFleet(root, agents);
        try
        {
            foreach (var id in edgeIds)
            {
                var agent = new EdgeAgent(new EdgeOptions
                {
                    EdgeId = id,
                    Region = region,
                    DataDirectory = Path.Combine(root, id),
                    DeviceBroker = new BrokerOptions { Embedded = true, Port = 0 },
                    HubBroker = new BrokerOptions { Host = "127.0.0.1", Port = hub.MqttPort },
                    HubUrl = hub.BaseAddress.ToString(),
                    HubPublicKeyPem = publicKey,
                    PseudonymKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
                    StatusIntervalSeconds = 0.5,
                }, NullLoggerFactory.Instance);
                agents[id] = agent;
                await agent.StartAsync(CancellationToken.None);
            }

            await Eventually.TrueAsync(() => agents.Values.All(a => a.HubConnected), TimeSpan.FromSeconds(30), "every edge connects its hub uplink");
            return fleet;
        }
        catch
        {
            await fleet.DisposeAsync();
            throw;
        }
    }

    /// <summary>The model each edge serves now.</summary>
    public Dictionary<string, string?> Serving() => Agents.ToDictionary(kv => kv.Key, kv => kv.Value.Models?.CurrentVersion, StringComparer.Ordinal);

    /// <summary>Waits until every edge serves <paramref name="model"/>.</summary>
    public async Task WaitAllServingAsync(string model, TimeSpan timeout)
    {
        try
        {
            await Eventually.TrueAsync(() => Agents.Values.All(a => a.Models?.CurrentVersion == model), timeout, $"every edge serves {model}");
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}; serving now: {Describe()}", ex);
        }
    }

    /// <summary>"e1=eu-2 (error: …), e2=eu-2, …" for failure messages.</summary>
    public string Describe() => string.Join(", ", Agents.Select(kv =>
        kv.Key + "=" + (kv.Value.Models?.CurrentVersion ?? "none") + (kv.Value.Models?.LastError is { } e ? $" (error: {e})" : "")));

    public async ValueTask DisposeAsync()
    {
        foreach (var agent in Agents.Values)
        {
            try
            {
                await agent.DisposeAsync();
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // One agent failing to stop must not leave the others (and their brokers) running.
            }
        }

        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }
}
