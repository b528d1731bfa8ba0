using EdgeHub.Edge.Hosting;
using EdgeHub.Testing;

namespace EdgeHub.Edge.Tests.Support;

/// <summary>An in-process agent with its embedded broker on a free port, a temp data folder and captured logs.</summary>
public sealed class AgentHarness : IAsyncDisposable
{
    private readonly TempDir _dir;

    private AgentHarness(EdgeAgent agent, LogCapture logs, TempDir dir)
    {
        Agent = agent;
        Logs = logs;
        _dir = dir;
    }

    public EdgeAgent Agent { get; }

    public LogCapture Logs { get; }

    public int Port => Agent.DeviceBrokerPort;

    /// <summary>Standard test settings (quick sealing and status).</summary>
    public static EdgeOptions DefaultOptions(string dataDir) => new()
    {
        EdgeId = "edge-t",
        Region = "eu",
        DataDirectory = dataDir,
        DeviceBroker = new BrokerOptions { Embedded = true, Port = 0 },
        HubPublicKeyPem = TestModels.HubPublicPem,
        PseudonymKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        StatusIntervalSeconds = 1,
        Sealing = new SealingOptions { MaxRows = 500, MaxSeconds = 2, RetrySeconds = 0.5, MaxRetrySeconds = 2 },
    };

    public static async Task<AgentHarness> StartAsync(Action<EdgeOptions>? configure = null)
    {
        var logs = new LogCapture();
        var dir = new TempDir();
        var options = DefaultOptions(dir.Path);
        configure?.Invoke(options);
        var agent = new EdgeAgent(options, logs.Factory());
        await agent.StartAsync(CancellationToken.None);
        await Eventually.TrueAsync(() => agent.HubConnected, TimeSpan.FromSeconds(10), "agent connects its hub uplink");
        return new AgentHarness(agent, logs, dir);
    }

    public async ValueTask DisposeAsync()
    {
        await Agent.DisposeAsync();
        _dir.Dispose();
    }
}
