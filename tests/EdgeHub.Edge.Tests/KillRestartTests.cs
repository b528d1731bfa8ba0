using System.Diagnostics;
using System.Text.Json;
using EdgeHub.Edge.Tests.Support;
using EdgeHub.Mqtt;
using EdgeHub.Simulator;
using EdgeHub.Testing;
using Microsoft.Data.Sqlite;

namespace EdgeHub.Edge.Tests;

/// <summary>
/// The agent as a real process (this assembly's <see cref="AgentProcessMain"/>, which runs the same host as "edgehub edge"),
/// killed with SIGKILL while devices stream and deltas are sealed twice a second, then restarted; a test hub on a broker that
/// outlives the agent acknowledges deltas. Afterwards every window the agent stored reaches the hub exactly once.
/// </summary>
public class KillRestartTests
{
    [Fact]
    public async Task SigkillDuringIngestAndSealing_EveryStoredWindowReachesTheHubExactlyOnce()
    {
        using var dir = new TempDir();
        await using var broker = new MqttBroker(new MqttBrokerOptions { Port = 0 });
        await broker.StartAsync();
        await using var hub = await TestHub.StartAsync(broker.Port);
        var config = Path.Combine(dir.Path, "edge.json");
        var options = AgentHarness.DefaultOptions(Path.Combine(dir.Path, "data"));
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
        {
            Edge = new
            {
                options.EdgeId,
                options.Region,
                options.DataDirectory,
                options.PseudonymKey,
                options.HubPublicKeyPem,
                StatusIntervalSeconds = 1,
                DeviceBroker = new { Embedded = false, Host = "127.0.0.1", broker.Port },
                Sealing = new { MaxRows = 100, MaxSeconds = 1, RetrySeconds = 0.5, MaxRetrySeconds = 2 },
            },
        }));

        using var stop = new CancellationTokenSource();
        await using var fleet = new Fleet(new FleetOptions
        {
            BrokerPort = broker.Port,
            Devices = 100,
            FramesPerSecond = 2,
            SampleRate = 250,
            Qos = MqttQos.AtLeastOnce,
            DevicesPerConnection = 10,
            ClientIdPrefix = "kill-sim",
        });
        var run = fleet.RunAsync(stop.Token);
        var random = new Random(42);
        for (var cycle = 0; cycle < 4; cycle++)
        {
            using var agent = StartAgent(config);
            var committed = hub.Committed.Count;
            await Eventually.TrueAsync(() => hub.Committed.Count >= committed + 3 || agent.HasExited, TimeSpan.FromSeconds(60),
                $"agent run {cycle} seals and delivers deltas");
            Assert.False(agent.HasExited, $"agent exited with {(agent.HasExited ? agent.ExitCode : 0)}");
            if (cycle == 3)
            {
                // Last run: stop the devices, let everything pending be sealed and acknowledged, then stop cleanly.
                await stop.CancelAsync();
                await run;
                await WaitQuietAsync(hub);
                Signal(agent, "TERM");
                Assert.True(agent.WaitForExit(30_000), "agent stops on SIGTERM");
                break;
            }

            await Task.Delay(random.Next(0, 1000)); // anywhere in the sealing cycle
            agent.Kill(); // SIGKILL on Unix: no shutdown code runs
            await agent.WaitForExitAsync();
        }

        Assert.Empty(hub.Violations);
        var sequences = hub.Committed.Keys.Order().ToArray();
        Assert.Equal(Enumerable.Range(1, sequences.Length).Select(i => (long)i), sequences);
        var atHub = hub.WindowIds();
        Assert.All(atHub, kv => Assert.True(kv.Value == 1, $"window {kv.Key} arrived {kv.Value} times"));

        // Every window the store sealed into an acknowledged delta is at the hub, and nothing else is.
        var stored = new HashSet<string>();
        var unacked = 0L;
        using (var db = new SqliteConnection($"Data Source={Path.Combine(options.DataDirectory!, "edge.db")};Pooling=False"))
        {
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = $"SELECT id FROM windows WHERE seq IS NOT NULL AND seq <= {sequences[^1]}";
            using (var r = cmd.ExecuteReader())
            {
                while (r.Read())
                {
                    stored.Add($"{options.EdgeId}-w{r.GetInt64(0)}");
                }
            }

            cmd.CommandText = "SELECT count(*) FROM deltas WHERE acked_at IS NULL";
            unacked = (long)cmd.ExecuteScalar()!;
        }

        Assert.Equal(0, unacked);
        Assert.True(stored.Count > 500, $"only {stored.Count} windows stored");
        Assert.True(stored.SetEquals(atHub.Keys), $"store has {stored.Count} sealed windows, hub {atHub.Count}; missing at hub: {stored.Except(atHub.Keys).Take(5).FirstOrDefault()}, unknown to store: {atHub.Keys.Except(stored).Take(5).FirstOrDefault()}");
    }

    private static Process StartAgent(string config)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "EdgeHub.Edge.Tests.dll"));
        info.ArgumentList.Add("agent");
        info.ArgumentList.Add("--config");
        info.ArgumentList.Add(config);
        info.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        var p = Process.Start(info)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private static void Signal(Process p, string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    private static async Task WaitQuietAsync(TestHub hub)
    {
        // Pending rows are sealed within Sealing:MaxSeconds and acked at once: done when nothing new arrives for 4 s.
        var last = -1L;
        var quietSince = Stopwatch.GetTimestamp();
        await Eventually.TrueAsync(() =>
        {
            var now = hub.Messages;
            if (now != last)
            {
                last = now;
                quietSince = Stopwatch.GetTimestamp();
            }

            return Stopwatch.GetElapsedTime(quietSince) > TimeSpan.FromSeconds(4);
        }, TimeSpan.FromSeconds(60), "deltas stop arriving");
    }
}
