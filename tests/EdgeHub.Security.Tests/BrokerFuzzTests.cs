using System.Diagnostics;
using System.Net.Sockets;
using EdgeHub.Cli.Demo;
using EdgeHub.Contracts;
using EdgeHub.Mqtt;
using EdgeHub.Security.Tests.Support;
using EdgeHub.Testing;
using Xunit.Abstractions;

namespace EdgeHub.Security.Tests;

/// <summary>
/// A bounded fuzz run against the embedded broker configured like a secure edge's device broker (password file, ACL):
/// mutated valid sessions, hostile inputs, random bytes and slow-loris connections. The broker must stay up and serve a
/// legitimate pair of clients throughout, close every hostile connection by itself, end with its connection count back at
/// the baseline, and keep its managed memory bounded after a full GC.
/// </summary>
public sealed class BrokerFuzzTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Device = "dev-00001";
    private const string EdgeUser = "edge-fuzz";
    private static readonly TimeSpan CloseDeadline = TimeSpan.FromSeconds(15);
    private readonly TempDir _dir = new();
    private readonly DemoCredentials _credentials = DemoCredentials.CreateRandom();
    private MqttBroker _broker = null!;
    private DemoPki _pki = null!;

    public async Task InitializeAsync()
    {
        _pki = DemoPki.Create(Path.Combine(_dir.Path, "pki"));
        var (cert, key) = _pki.IssueServer("fuzz");
        _broker = new MqttBroker(new MqttBrokerOptions
        {
            Port = 0,
            TlsPort = 0,
            TlsCertificate = MqttBrokerOptions.LoadPemCertificate(cert, key),
            PasswordFile = _credentials.WritePasswordFile(Path.Combine(_dir.Path, "passwd"), [Device, EdgeUser]),
            AclFile = DemoCredentials.WriteAcl(Path.Combine(_dir.Path, "acl"), DemoCredentials.DeviceBrokerAcl(EdgeUser, "eu")),
            AllowAnonymous = false,
            ConnectTimeout = TimeSpan.FromSeconds(2),
            MaxPacketSize = 64 * 1024,
            MaxSessions = 256,
        });
        await _broker.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _broker.DisposeAsync();
        _pki.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task Broker_SurvivesABoundedFuzzRun_ClosesEveryBadConnection_AndLeaksNothing()
    {
        var seed = Environment.TickCount;
        var random = new Random(seed);
        var why = $"(fuzz seed {seed})";

        // The legitimate pair: the edge reads telemetry, the device publishes it; they must keep working all along.
        var received = 0;
        await using var edge = new MqttClient(Client(EdgeUser, "fuzz-edge"));
        edge.MessageReceived = (_, _) =>
        {
            Interlocked.Increment(ref received);
            return ValueTask.CompletedTask;
        };
        await edge.ConnectAsync();
        await edge.SubscribeAsync(Topics.AllTelemetry, MqttQos.AtLeastOnce);
        await using var device = new MqttClient(Client(Device, "fuzz-device"));
        await device.ConnectAsync();
        await Eventually.TrueAsync(() => _broker.ConnectionCount == 2, CloseDeadline, "two legitimate connections");
        var baseline = _broker.ConnectionCount;
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        var memoryBefore = GC.GetTotalMemory(forceFullCollection: true);

        var seeds = new[]
        {
            FuzzInputs.ValidSession(MqttProtocolVersion.V500, "fz5", Device, _credentials.PasswordOf(Device), Device),
            FuzzInputs.ValidSession(MqttProtocolVersion.V311, "fz3", Device, _credentials.PasswordOf(Device), Device),
        };
        var failures = new List<string>();
        var clock = Stopwatch.StartNew();
        var rounds = 0;
        // Mutated sessions: we half-close after sending; whatever the bytes meant, the broker must end the connection.
        while (clock.Elapsed < TimeSpan.FromSeconds(12) && rounds < 400)
        {
            var batch = Enumerable.Range(0, 8).Select(_ => FuzzInputs.Mutate(seeds[random.Next(seeds.Length)], random)).ToArray();
            var results = await Task.WhenAll(batch.Select(bytes => SendAsync(bytes, halfClose: true, random.Next(1, 64))));
            failures.AddRange(results.Where(r => r is not null)!);
            rounds += batch.Length;
            await device.PublishAsync(Topics.Telemetry(Device), new byte[16], MqttQos.AtLeastOnce);
        }

        // Hostile inputs: the broker must close these on its own while we keep our side open.
        foreach (var (name, bytes) in FuzzInputs.Hostile(random))
        {
            if (await SendAsync(bytes, halfClose: false, chunk: random.Next(1, 8)) is { } failure)
            {
                failures.Add($"{name}: {failure}");
            }
        }

        // The TLS listener: garbage, plain MQTT and half a ClientHello instead of a handshake are dropped too.
        foreach (var (name, bytes) in FuzzInputs.Hostile(random).Take(12))
        {
            if (await SendAsync(bytes, halfClose: false, chunk: bytes.Length, _broker.TlsPort) is { } failure)
            {
                failures.Add($"TLS port, {name}: {failure}");
            }
        }

        // Slow-loris: silent sockets and CONNECTs dribbled a byte at a time must be dropped at the connect timeout.
        var loris = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => SlowLorisAsync(i % 2 == 0 ? [] : seeds[0][..6], i % 4 == 0 ? _broker.TlsPort : _broker.Port)));
        failures.AddRange(loris.Where(r => r is not null)!);

        Assert.True(failures.Count == 0, $"{failures.Count} problems {why}:\n{string.Join('\n', failures.Take(20))}");

        // Still serving: the legitimate connections survived and route.
        Assert.True(edge.IsConnected && device.IsConnected, $"a legitimate client lost its connection during the fuzz run {why}");
        var before = Volatile.Read(ref received);
        await device.PublishAsync(Topics.Telemetry(Device), new byte[16], MqttQos.AtLeastOnce);
        await Eventually.TrueAsync(() => Volatile.Read(ref received) > before, CloseDeadline, "the edge still receives the device's telemetry");
        await using (var fresh = new MqttClient(Client(Device, "after-fuzz")))
        {
            await fresh.ConnectAsync();
        }

        await Eventually.TrueAsync(() => _broker.ConnectionCount == baseline, CloseDeadline,
            $"connection count back to {baseline} (is {_broker.ConnectionCount}) {why}");
        Assert.True(_broker.SessionCount <= 256 + baseline, $"{_broker.SessionCount} sessions kept {why}");
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        var grown = GC.GetTotalMemory(forceFullCollection: true) - memoryBefore;
        Assert.True(grown < 48L << 20, $"managed memory grew by {grown / (1 << 20)} MB over {rounds} fuzzed sessions {why}");
        Assert.True(rounds >= 40, $"only {rounds} fuzz rounds ran");
        output.WriteLine($"fuzz seed {seed}: {rounds} mutated sessions in {clock.Elapsed.TotalSeconds:0.0} s, 40 slow-loris, "
            + $"{FuzzInputs.Hostile(new Random(0)).Count()} hostile inputs; sessions {_broker.SessionCount}, managed memory {grown / 1024} KB");
    }

    private MqttClientOptions Client(string user, string clientId) => new()
    {
        Host = "127.0.0.1",
        Port = _broker.Port,
        ClientId = clientId,
        Username = user,
        Password = _credentials.PasswordOf(user),
        AutoReconnect = false,
        KeepAliveSeconds = 60,
    };

    /// <summary>Sends <paramref name="bytes"/> in chunks; returns null when the broker closed the connection within the deadline.</summary>
    private async Task<string?> SendAsync(byte[] bytes, bool halfClose, int chunk, int port = 0)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync("127.0.0.1", port == 0 ? _broker.Port : port);
        try
        {
            for (var i = 0; i < bytes.Length; i += chunk)
            {
                await socket.SendAsync(bytes.AsMemory(i, Math.Min(chunk, bytes.Length - i)));
            }

            if (halfClose)
            {
                socket.Shutdown(SocketShutdown.Send);
            }
        }
        catch (SocketException)
        {
            return null; // the broker already closed it mid-send
        }

        return await WaitClosedAsync(socket, bytes.Length);
    }

    private async Task<string?> SlowLorisAsync(byte[] prefix, int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync("127.0.0.1", port);
        var dribble = Task.Run(async () =>
        {
            try
            {
                foreach (var b in prefix)
                {
                    await socket.SendAsync(new[] { b });
                    await Task.Delay(400); // the attack itself: one byte every 400 ms, never a full CONNECT in time
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }
        });
        var result = await WaitClosedAsync(socket, prefix.Length);
        await dribble;
        return result is null ? null : $"slow-loris on port {port} ({prefix.Length} bytes): {result}";
    }

    /// <summary>Reads until the peer closes; null when it does within the deadline.</summary>
    private static async Task<string?> WaitClosedAsync(Socket socket, int sent)
    {
        var buffer = new byte[4096];
        using var deadline = new CancellationTokenSource(CloseDeadline);
        try
        {
            while (await socket.ReceiveAsync(buffer, deadline.Token) > 0)
            {
            }

            return null;
        }
        catch (SocketException)
        {
            return null; // reset by the broker: closed
        }
        catch (OperationCanceledException)
        {
            return $"connection still open {CloseDeadline.TotalSeconds:0} s after sending {sent} bytes";
        }
    }
}
