using System.Diagnostics;
using System.Net.Sockets;

namespace EdgeHub.Mqtt.Tests;

/// <summary>A real mosquitto 2.x process on a free loopback port, with a config of our choosing.</summary>
internal sealed class Mosquitto : IAsyncDisposable
{
    public const string Binary = "/usr/sbin/mosquitto";
    private readonly Process _process;
    private readonly string _dir;

    private Mosquitto(Process process, int port, string dir)
    {
        _process = process;
        Port = port;
        _dir = dir;
    }

    public int Port { get; }

    public static async Task<Mosquitto> StartAsync(string extraConfig = "")
    {
        if (!File.Exists(Binary))
        {
            throw new InvalidOperationException($"mosquitto is not installed at {Binary} (apt-get install mosquitto); these tests need the real broker");
        }
        var dir = TestSupport.TempDir();
        var port = TestSupport.FreePort();
        var conf = Path.Combine(dir, "mosquitto.conf");
        await File.WriteAllTextAsync(conf, $"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_inflight_messages 1000\nmax_queued_messages 10000\n{extraConfig}\n");
        var psi = new ProcessStartInfo(Binary, ["-c", conf]) { RedirectStandardError = true, RedirectStandardOutput = true };
        var process = Process.Start(psi)!;
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"mosquitto exited with code {process.ExitCode} (config {conf})");
            }
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync("127.0.0.1", port);
                break;
            }
            catch (SocketException) when (deadline.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(20);
            }
        }
        return new Mosquitto(process, port, dir);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_dir, true);
        }
        catch (IOException)
        {
        }
    }
}
