using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace EdgeHub.Bench;

/// <summary>
/// The agent under test as its own process ("edgehub edge --config FILE" from the same build), so its RSS is its own and
/// the simulator's load does not share its heap. Configured as deployed: embedded device broker, hub uplink to a separate
/// broker (the bench's stand-in for the hub's, passed to StartAsync), default sealing settings. Reads its
/// counters from /metrics.
/// </summary>
internal sealed class PipelineBenchAgent : IDisposable
{
    private readonly Process _process;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };

    private bool _disposed;

    private PipelineBenchAgent(Process process, int brokerPort, int httpPort)
    {
        _process = process;
        BrokerPort = brokerPort;
        HttpPort = httpPort;
    }

    public int BrokerPort { get; }

    public int HttpPort { get; }

    public int ProcessId => _process.Id;

    public static async Task<PipelineBenchAgent> StartAsync(string dataDir, string publicKeyPem, int hubBrokerPort, CancellationToken ct)
    {
        var brokerPort = FreePort();
        var httpPort = FreePort();
        Directory.CreateDirectory(dataDir);
        var config = Path.Combine(dataDir, "edge.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
        {
            Logging = new { LogLevel = new { Default = "Warning" } },
            Edge = new
            {
                EdgeId = "bench-edge",
                Region = "bench",
                DataDirectory = Path.Combine(dataDir, "data"),
                PseudonymKey = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
                HubPublicKeyPem = publicKeyPem,
                DeviceBroker = new { Embedded = true, Port = brokerPort },
                HubBroker = new { Host = "127.0.0.1", Port = hubBrokerPort },
                MaxDevices = 50_000,
                DiskQuotaMb = 2048,
            },
        }), ct);

        // The bench runs inside "dotnet edgehub.dll bench …": start the same dll as "edge".
        var self = Environment.GetCommandLineArgs()[0];
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(self);
        info.ArgumentList.Add("edge");
        info.ArgumentList.Add("--config");
        info.ArgumentList.Add(config);
        info.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{httpPort}";
        var p = Process.Start(info) ?? throw new InvalidOperationException("could not start the edge agent process");
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 })
            {
                Console.Error.WriteLine("edge: " + e.Data);
            }
        };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        var agent = new PipelineBenchAgent(p, brokerPort, httpPort);
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (p.HasExited)
            {
                throw new InvalidOperationException($"the edge agent exited with code {p.ExitCode} during start-up (see its log lines above)");
            }

            if (await agent.MetricAsync("edgehub_edge_frames_received_total", ct) is not null)
            {
                return agent;
            }

            if (deadline.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException("the edge agent did not answer /metrics within 60 s");
            }

            await Task.Delay(200, ct);
        }
    }

    /// <summary>A counter or gauge from /metrics, or null when the agent does not answer.</summary>
    public async Task<double?> MetricAsync(string name, CancellationToken ct)
    {
        try
        {
            var text = await _http.GetStringAsync(new Uri($"http://127.0.0.1:{HttpPort}/metrics"), ct);
            foreach (var line in text.Split('\n'))
            {
                if (line.StartsWith(name + " ", StringComparison.Ordinal))
                {
                    return double.Parse(line.AsSpan(name.Length + 1), CultureInfo.InvariantCulture);
                }
            }

            return null;
        }
        catch (HttpRequestException)
        {
            return null;
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>Resident set size of the agent process in MB (VmRSS).</summary>
    public double RssMb()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                var kb = long.Parse(line.AsSpan(6).Trim().ToString().Split(' ')[0], CultureInfo.InvariantCulture);
                return kb / 1024.0;
            }
        }

        return double.NaN;
    }

    /// <summary>CPU seconds (user + system) the agent process has used so far (/proc/PID/stat fields 14 and 15).</summary>
    public double CpuSeconds()
    {
        var stat = File.ReadAllText($"/proc/{_process.Id}/stat");
        // Fields after the command name, which is in parentheses and may contain spaces.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return ticks / 100.0; // USER_HZ is 100 on Linux
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            if (!_process.HasExited)
            {
                using var term = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]);
                term.WaitForExit();
                if (!_process.WaitForExit(15_000))
                {
                    _process.Kill();
                }
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
        _http.Dispose();
    }
}
