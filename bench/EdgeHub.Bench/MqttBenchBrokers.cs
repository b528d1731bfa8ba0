using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using EdgeHub.Mqtt;

namespace EdgeHub.Bench;

/// <summary>The brokers bench mqtt measures side by side.</summary>
internal enum BenchBrokerKind
{
    Ours,
    Mosquitto,
    MqttNet,
}

/// <summary>
/// A broker under test, each in its own process with the same limits: ours (<c>edgehub broker</c>), mosquitto, or
/// MQTTnet 5's server (<c>EdgeHub.Bench.MqttNetBroker</c>, built beside the bench).
/// </summary>
internal sealed class BenchBroker : IAsyncDisposable
{
    private readonly Process? _process;
    private readonly MqttBroker? _inProcess;
    private readonly string _dir;

    private BenchBroker(string name, int port, Process? process, MqttBroker? inProcess, string dir)
    {
        Name = name;
        Port = port;
        _process = process;
        _inProcess = inProcess;
        _dir = dir;
    }

    public string Name { get; }
    public int Port { get; }
    public bool OutOfProcess => _process != null;

    /// <summary>Resident set size of the broker process in MB (Linux /proc), or -1 when in-process.</summary>
    public double RssMegabytes()
    {
        if (_process is null)
        {
            return -1;
        }
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                var kb = double.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                return kb / 1024.0;
            }
        }
        return -1;
    }

    /// <summary>User + system CPU seconds the broker process has used (Linux /proc), or -1 when in-process.</summary>
    public double CpuSeconds()
    {
        if (_process is null)
        {
            return -1;
        }
        var stat = File.ReadAllText($"/proc/{_process.Id}/stat");
        // Fields after the parenthesised command name: state is field 3, utime 14 and stime 15 (clock ticks, 100 Hz on Linux).
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    public static Task<BenchBroker> StartAsync(BenchBrokerKind kind, ushort inflight, int queued, CancellationToken ct) => kind switch
    {
        BenchBrokerKind.Ours => StartOursAsync(inflight, queued, ct),
        BenchBrokerKind.Mosquitto => StartMosquittoAsync(inflight, queued, ct),
        _ => StartMqttNetAsync(queued, ct),
    };

    /// <summary>
    /// MQTTnet's server in a process of its own, with workstation GC like ours. It has no outbound in-flight setting, so
    /// only the queue limit is passed.
    /// </summary>
    public static async Task<BenchBroker> StartMqttNetAsync(int queued, CancellationToken ct)
    {
        var host = Path.Combine(AppContext.BaseDirectory, "EdgeHub.Bench.MqttNetBroker.dll");
        if (!File.Exists(host))
        {
            throw new InvalidOperationException($"MQTTnet broker host not found at {host}: build bench/EdgeHub.Bench (it references EdgeHub.Bench.MqttNetBroker)");
        }
        var dir = Directory.CreateTempSubdirectory("edgehub-bench-mqttnet-").FullName;
        var port = FreePort();
        var psi = new ProcessStartInfo("dotnet", [host, "--port", port.ToString(CultureInfo.InvariantCulture), "--queue", queued.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.Environment["DOTNET_gcServer"] = "0";
        var process = Process.Start(psi)!;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await WaitForPortAsync(port, process, ct).ConfigureAwait(false);
        return new BenchBroker("mqttnet", port, process, null, dir);
    }

    public static async Task<BenchBroker> StartOursAsync(ushort inflight, int queued, CancellationToken ct)
    {
        var dir = Directory.CreateTempSubdirectory("edgehub-bench-mqtt-").FullName;
        var port = FreePort();
        var entry = Assembly.GetEntryAssembly();
        if (entry?.GetName().Name == "edgehub")
        {
            var config = Path.Combine(dir, "broker.json");
            await File.WriteAllTextAsync(config, $"{{\"port\":{port},\"maxInflightMessages\":{inflight},\"maxQueuedMessages\":{queued},\"logLevel\":\"Warning\"}}", ct).ConfigureAwait(false);
            var host = Environment.ProcessPath!;
            var args = Path.GetFileNameWithoutExtension(host) == "dotnet" ? new[] { entry.Location, "broker", "--config", config } : ["broker", "--config", config];
            var psi = new ProcessStartInfo(host, args) { RedirectStandardOutput = true, RedirectStandardError = true };
            psi.Environment["DOTNET_gcServer"] = "0";
            var process = Process.Start(psi)!;
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            await WaitForPortAsync(port, process, ct).ConfigureAwait(false);
            return new BenchBroker("edgehub", port, process, null, dir);
        }
        // Not started through the edgehub executable (e.g. from a test host): run the broker in this process.
        var broker = new MqttBroker(new MqttBrokerOptions { Port = port, MaxInflightMessages = inflight, MaxQueuedMessages = queued });
        await broker.StartAsync(ct).ConfigureAwait(false);
        return new BenchBroker("edgehub (in-process)", port, null, broker, dir);
    }

    public static async Task<BenchBroker> StartMosquittoAsync(ushort inflight, int queued, CancellationToken ct)
    {
        const string binary = "/usr/sbin/mosquitto";
        if (!File.Exists(binary))
        {
            throw new InvalidOperationException($"mosquitto not found at {binary}: install it (apt-get install mosquitto) to run the MQTT benchmark beside its anchor");
        }
        var dir = Directory.CreateTempSubdirectory("edgehub-bench-mosquitto-").FullName;
        var port = FreePort();
        var config = Path.Combine(dir, "mosquitto.conf");
        // Same limits as ours: in-flight window, queue length, no persistence, no byte cap, Nagle off like ours.
        await File.WriteAllTextAsync(config, string.Join('\n',
            $"listener {port} 127.0.0.1", "allow_anonymous true", "persistence false", $"max_inflight_messages {inflight}",
            $"max_queued_messages {queued}", "max_queued_bytes 0", "log_type error", "") , ct).ConfigureAwait(false);
        var process = Process.Start(new ProcessStartInfo(binary, ["-c", config]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await WaitForPortAsync(port, process, ct).ConfigureAwait(false);
        return new BenchBroker("mosquitto", port, process, null, dir);
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static async Task WaitForPortAsync(int port, Process process, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"broker process exited with code {process.ExitCode} before listening on {port}");
            }
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port, ct).ConfigureAwait(false);
                return;
            }
            catch (SocketException) when (watch.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(50, ct).ConfigureAwait(false);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process != null)
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                await _process.WaitForExitAsync().ConfigureAwait(false);
            }
            _process.Dispose();
        }
        if (_inProcess != null)
        {
            await _inProcess.DisposeAsync().ConfigureAwait(false);
        }
        try
        {
            Directory.Delete(_dir, true);
        }
        catch (IOException)
        {
        }
    }
}
