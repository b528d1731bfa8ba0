using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace EdgeHub.Mqtt.Tests;

/// <summary>Waiting on conditions with deadlines, free ports, and the repository root.</summary>
internal static class TestSupport
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    public static async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = Stopwatch.StartNew();
        var limit = timeout ?? Timeout;
        while (!condition())
        {
            if (deadline.Elapsed > limit)
            {
                throw new TimeoutException($"timed out after {limit.TotalSeconds:0}s waiting for {what}");
            }
            await Task.Delay(10);
        }
    }

    public static async Task<T> WithTimeout<T>(this Task<T> task, string what, TimeSpan? timeout = null)
    {
        try
        {
            return await task.WaitAsync(timeout ?? Timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"timed out waiting for {what}");
        }
    }

    public static async Task WithTimeout(this Task task, string what, TimeSpan? timeout = null)
    {
        try
        {
            await task.WaitAsync(timeout ?? Timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"timed out waiting for {what}");
        }
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "EdgeHub.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("EdgeHub.sln not found above " + AppContext.BaseDirectory);
    }

    public static string TempDir()
    {
        var path = Path.Combine(Path.GetTempPath(), "edgehub-mqtt-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }

    public static async Task<MqttBroker> StartBrokerAsync(Action<MqttBrokerOptions>? configure = null)
    {
        var options = new MqttBrokerOptions { Port = 0 };
        configure?.Invoke(options);
        var broker = new MqttBroker(options);
        await broker.StartAsync();
        return broker;
    }

    public static MqttClient Client(int port, string id, MqttProtocolVersion version = MqttProtocolVersion.V500, Action<MqttClientOptions>? configure = null)
    {
        var options = new MqttClientOptions { Port = port, ClientId = id, ProtocolVersion = version };
        configure?.Invoke(options);
        return new MqttClient(options);
    }
}
