using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using EdgeHub.Testing;

namespace EdgeHub.Simulator.Tests;

/// <summary>A real mosquitto broker on a free local port for one test, stopped on dispose.</summary>
internal sealed class Mosquitto : IAsyncDisposable
{
    private const string Binary = "/usr/sbin/mosquitto";
    private readonly Process _process;
    private readonly string _dir;

    private Mosquitto(Process process, int port, string dir)
    {
        _process = process;
        Port = port;
        _dir = dir;
    }

    public int Port { get; }

    public static async Task<Mosquitto> StartAsync()
    {
        if (!File.Exists(Binary))
        {
            throw new InvalidOperationException($"mosquitto not installed at {Binary}: install the Debian package 'mosquitto' (./edgehub test does)");
        }

        var port = FreePort();
        var dir = Directory.CreateTempSubdirectory("ehub-sim-mosq-").FullName;
        var config = Path.Combine(dir, "mosquitto.conf");
        await File.WriteAllTextAsync(config, $"listener {port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 100000\n");
        var process = Process.Start(new ProcessStartInfo(Binary, ["-c", config])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("could not start mosquitto");
        process.ErrorDataReceived += (_, _) => { };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var broker = new Mosquitto(process, port, dir);
        await Eventually.TrueAsync(() => process.HasExited || CanConnect(port), TimeSpan.FromSeconds(10), $"mosquitto listening on {port}");
        if (process.HasExited)
        {
            throw new InvalidOperationException($"mosquitto exited at start (code {process.ExitCode})");
        }

        return broker;
    }

    private static bool CanConnect(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
