using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using EdgeHub.Testing;

namespace EdgeHub.Hub.Tests.Fixtures;

/// <summary>A mosquitto broker on a free port with its own config, stopped and removed at the end.</summary>
public sealed class Mosquitto : IAsyncDisposable
{
    private const string Binary = "/usr/sbin/mosquitto";
    private readonly Process _process;
    private readonly string _dir;

    private Mosquitto(Process process, string dir, int port)
    {
        _process = process;
        _dir = dir;
        Port = port;
    }

    public int Port { get; }

    public static async Task<Mosquitto> StartAsync()
    {
        if (!File.Exists(Binary))
        {
            throw new InvalidOperationException($"{Binary} is missing: install the Debian package 'mosquitto' (./edgehub test does)");
        }

        var dir = Path.Combine(Path.GetTempPath(), "ehub-mosq-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(dir);
        var port = FreePort();
        var conf = Path.Combine(dir, "mosquitto.conf");
        await File.WriteAllTextAsync(conf, $"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 100000\n");
        var psi = new ProcessStartInfo(Binary) { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(conf);
        var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var broker = new Mosquitto(process, dir, port);
        await Eventually.TrueAsync(() => process.HasExited || CanConnect(port), TimeSpan.FromSeconds(15), $"mosquitto listening on {port}");
        if (process.HasExited)
        {
            throw new InvalidOperationException($"mosquitto exited with code {process.ExitCode} at start-up (config {conf})");
        }

        return broker;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(_dir, true);
    }

    internal static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static bool CanConnect(int port)
    {
        try
        {
            using var c = new TcpClient();
            c.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
