using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using EdgeHub.Testing;

namespace EdgeHub.Mqtt.Tests;

/// <summary>
/// The broker as a child process with a persistence directory, killed with SIGKILL while messages are owed to
/// persistent sessions: after a restart, every QoS 1 message the broker acknowledged to its publisher reaches each
/// persistent subscriber, whether it was connected (messages in flight and queued behind its window) or offline.
/// </summary>
public sealed partial class BrokerCrashTests
{
    [GeneratedRegex(@"listening on port (\d+)")]
    private static partial Regex ListeningLine();

    private static ChildProcess Host(string dir, string name) =>
        new(name, Path.Combine(dir, "logs"), "dotnet",
            [Path.Combine(AppContext.BaseDirectory, "EdgeHub.Mqtt.BrokerHost.dll"), "--persistence", Path.Combine(dir, "data"), "--max-seconds", "240"]);

    private static async Task<int> StartAsync(ChildProcess host)
    {
        var before = host.Starts;
        host.Start();
        var port = 0;
        await TestSupport.WaitUntilAsync(() =>
        {
            host.EnsureRunning();
            var log = host.LogTail(int.MaxValue);
            var start = log.LastIndexOf($"----- start {before + 1} ", StringComparison.Ordinal);
            var m = ListeningLine().Match(log, Math.Max(0, start));
            port = m.Success ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
            return port != 0;
        }, $"{host.Name} to listen (log: {host.LogPath})", TimeSpan.FromSeconds(60));
        return port;
    }

    private static MqttClient Persistent(int port, string id, ushort receiveMaximum, Func<MqttApplicationMessage, CancellationToken, ValueTask> onMessage)
    {
        var client = TestSupport.Client(port, id, configure: o =>
        {
            o.CleanStart = false;
            o.SessionExpiryInterval = 3600;
            o.ReceiveMaximum = receiveMaximum;
            o.AutoReconnect = false;
        });
        client.MessageReceived = onMessage;
        return client;
    }

    [Fact]
    public async Task SigKill_WithConnectedAndOfflinePersistentSubscribers_EveryAcknowledgedMessageDeliveredAfterRestart()
    {
        var dir = TestSupport.TempDir();
        await using var host = Host(dir, "crash-broker");
        var port = await StartAsync(host);

        // Offline subscriber: subscribes, then leaves its session behind.
        await using (var offline = Persistent(port, "crash-offline", 100, (_, _) => ValueTask.CompletedTask))
        {
            await offline.ConnectAsync();
            await offline.SubscribeAsync("crash/#", MqttQos.AtLeastOnce);
            await offline.DisconnectAsync();
        }

        // Connected subscriber that stops acknowledging: 10 messages in flight, the rest queued behind its window.
        var stall = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stalled = Persistent(port, "crash-online", 10, async (_, ct) => await stall.Task.WaitAsync(ct));
        await stalled.ConnectAsync();
        await stalled.SubscribeAsync("crash/#", MqttQos.AtLeastOnce);

        // Publisher: count only what the broker acknowledged; kill the broker while publishing.
        var acked = new ConcurrentBag<int>();
        await using var publisher = TestSupport.Client(port, "crash-pub", configure: o => o.AutoReconnect = false);
        await publisher.ConnectAsync();
        using var stopPublishing = new CancellationTokenSource();
        var publishing = Task.Run(async () =>
        {
            for (var i = 0; i < 100_000 && !stopPublishing.IsCancellationRequested; i++)
            {
                try
                {
                    await publisher.PublishAsync("crash/m", Encoding.ASCII.GetBytes(i.ToString(CultureInfo.InvariantCulture)), MqttQos.AtLeastOnce, ct: stopPublishing.Token);
                    acked.Add(i);
                }
                catch (Exception ex) when (ex is MqttException or OperationCanceledException or IOException or ObjectDisposedException)
                {
                    return;
                }
            }
        });
        await TestSupport.WaitUntilAsync(() => acked.Count >= 300, "300 acknowledged publishes");
        host.Kill();
        await stopPublishing.CancelAsync();
        await publishing.WithTimeout("the publisher to notice the crash");
        stall.TrySetCanceled();
        await stalled.DisposeAsync();
        var expected = acked.ToHashSet();
        Assert.True(expected.Count >= 300);

        port = await StartAsync(host);
        foreach (var id in new[] { "crash-online", "crash-offline" })
        {
            var got = new ConcurrentDictionary<int, byte>();
            await using var again = Persistent(port, id, 100, (m, _) =>
            {
                got[int.Parse(Encoding.ASCII.GetString(m.Payload.Span), CultureInfo.InvariantCulture)] = 0;
                return ValueTask.CompletedTask;
            });
            await again.ConnectAsync();
            Assert.True(again.SessionPresent, $"{id}: session not restored after the crash");
            await TestSupport.WaitUntilAsync(() => expected.All(got.ContainsKey),
                $"{id}: all {expected.Count} acknowledged messages (missing e.g. {string.Join(',', expected.Where(i => !got.ContainsKey(i)).Take(5))})");
        }
        Directory.Delete(dir, true);
    }
}
