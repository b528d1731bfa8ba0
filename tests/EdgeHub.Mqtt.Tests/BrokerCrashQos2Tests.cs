using System.Collections.Concurrent;
using System.Text;
using EdgeHub.Mqtt.Protocol;

namespace EdgeHub.Mqtt.Tests;

/// <summary>
/// QoS 2 across a SIGKILL of the broker with persistence on (MQTT 5 §4.3.3, §4.4): a <see cref="PacketProxy"/> between
/// our client and the broker child process freezes each exchange at an exact step, the broker is killed and restarted,
/// and the client (persistent session, auto-reconnect through the proxy) finishes the exchange. Every message must reach
/// its subscriber exactly once, and the proxy's log shows what the restarted broker resent.
/// </summary>
public sealed partial class BrokerCrashTests
{
    private static MqttClient ThroughProxy(PacketProxy proxy, string id, Func<MqttApplicationMessage, CancellationToken, ValueTask>? onMessage = null)
    {
        var client = TestSupport.Client(proxy.Port, id, configure: o =>
        {
            o.CleanStart = false;
            o.SessionExpiryInterval = 3600;
            o.AutoReconnect = true;
            o.MaxReconnectDelay = TimeSpan.FromMilliseconds(300);
            o.KeepAliveSeconds = 0;
        });
        client.MessageReceived = onMessage;
        return client;
    }

    private static Func<MqttApplicationMessage, CancellationToken, ValueTask> Counting(ConcurrentDictionary<string, int> counts) => (m, _) =>
    {
        counts.AddOrUpdate(Encoding.ASCII.GetString(m.Payload.Span), 1, (_, n) => n + 1);
        return ValueTask.CompletedTask;
    };

    /// <summary>The packet id of the n-th (1-based) QoS 2 PUBLISH the proxy saw in one direction.</summary>
    private static ushort NthPublishId(PacketProxy proxy, bool fromClient, int n) =>
        proxy.Log.Where(p => p.FromClient == fromClient && p.Type == MqttPacketType.Publish && p.PacketId != 0).Select(p => p.PacketId).Distinct().Skip(n - 1).FirstOrDefault();

    private static bool Saw(IEnumerable<ProxiedPacket> log, bool fromClient, MqttPacketType type, ushort id, bool dropped) =>
        log.Any(p => p.FromClient == fromClient && p.Type == type && p.PacketId == id && p.Dropped == dropped);

    [Fact]
    public async Task SigKill_InboundQos2_PubrelOrPubrecLost_PublisherFinishesAndSubscriberGetsEachMessageOnce()
    {
        var dir = TestSupport.TempDir();
        await using var host = Host(dir, "crash-qos2-in");
        var port = await StartAsync(host);
        await using (var offline = Persistent(port, "q2in-sub", 100, (_, _) => ValueTask.CompletedTask))
        {
            await offline.ConnectAsync();
            await offline.SubscribeAsync("q2in/#", MqttQos.ExactlyOnce);
            await offline.DisconnectAsync();
        }

        await using var proxy = new PacketProxy(port);
        // Message 1: the broker got PUBLISH and sent PUBREC; our PUBREL never arrives (the broker owns the message and
        // must remember the identifier). Message 2: the broker got PUBLISH, its PUBREC is lost (we resend PUBLISH, DUP).
        proxy.Drop = p =>
            (p.FromClient && p.Type == MqttPacketType.PubRel && p.PacketId == NthPublishId(proxy, true, 1)) ||
            (!p.FromClient && p.Type == MqttPacketType.PubRec && p.PacketId == NthPublishId(proxy, true, 2));
        await using var publisher = ThroughProxy(proxy, "q2in-pub");
        await publisher.ConnectAsync();
        var first = publisher.PublishAsync("q2in/a", "one"u8.ToArray(), MqttQos.ExactlyOnce).AsTask();
        await TestSupport.WaitUntilAsync(() => NthPublishId(proxy, true, 1) is var id && id != 0 && Saw(proxy.Log, true, MqttPacketType.PubRel, id, dropped: true),
            "the first PUBREL to be held back");
        var second = publisher.PublishAsync("q2in/b", "two"u8.ToArray(), MqttQos.ExactlyOnce).AsTask();
        await TestSupport.WaitUntilAsync(() => NthPublishId(proxy, true, 2) is var id && id != 0 && Saw(proxy.Log, false, MqttPacketType.PubRec, id, dropped: true),
            "the second PUBREC to be held back");
        var (id1, id2) = (NthPublishId(proxy, true, 1), NthPublishId(proxy, true, 2));
        Assert.False(first.IsCompleted || second.IsCompleted, "a publish completed without its PUBCOMP");

        host.Kill();
        var before = proxy.Log.Count;
        proxy.UpstreamPort = await StartAsync(host);
        proxy.Drop = null;
        await Task.WhenAll(first, second).WithTimeout("both QoS 2 publishes to complete after the restart (PUBCOMP Success)");
        var after = proxy.Log.Skip(before).ToList();
        Assert.True(Saw(after, true, MqttPacketType.PubRel, id1, false), $"the client did not resend PUBREL {id1}");
        Assert.Contains(after, p => !p.FromClient && p.Type == MqttPacketType.PubComp && p.PacketId == id1 && p.Reason == MqttReasonCode.Success);
        Assert.Contains(after, p => p.FromClient && p.Type == MqttPacketType.Publish && p.PacketId == id2 && p.Dup);

        var counts = new ConcurrentDictionary<string, int>();
        await using var subscriber = Persistent(proxy.UpstreamPort, "q2in-sub", 100, Counting(counts));
        await subscriber.ConnectAsync();
        Assert.True(subscriber.SessionPresent, "subscriber session not restored after the crash");
        await publisher.PublishAsync("q2in/c", "marker"u8.ToArray(), MqttQos.ExactlyOnce);
        await TestSupport.WaitUntilAsync(() => counts.ContainsKey("marker") && counts.ContainsKey("one") && counts.ContainsKey("two"),
            $"messages one, two and the marker (got {string.Join(',', counts.Keys)})");
        Assert.Equal(1, counts["one"]);
        Assert.Equal(1, counts["two"]);
        Directory.Delete(dir, true);
    }

    [Fact]
    public async Task SigKill_OutboundQos2_PubcompOrPubrecLost_BrokerResendsPubrelOrSamePublishAndSubscriberGetsEachOnce()
    {
        var dir = TestSupport.TempDir();
        await using var host = Host(dir, "crash-qos2-out");
        var port = await StartAsync(host);
        await using var proxy = new PacketProxy(port);
        var counts = new ConcurrentDictionary<string, int>();
        await using var subscriber = ThroughProxy(proxy, "q2out-sub", Counting(counts));
        await subscriber.ConnectAsync();
        await subscriber.SubscribeAsync("q2out/#", MqttQos.ExactlyOnce);
        // Message 1: PUBREC reached the broker and it sent PUBREL; our PUBCOMP never arrives (the broker owes PUBREL
        // only). Message 2: our PUBREC never arrives (the broker owes the PUBLISH, with the same identifier).
        proxy.Drop = p =>
            (p.FromClient && p.Type == MqttPacketType.PubComp && p.PacketId == NthPublishId(proxy, false, 1)) ||
            (p.FromClient && p.Type == MqttPacketType.PubRec && p.PacketId == NthPublishId(proxy, false, 2));

        await using (var publisher = TestSupport.Client(port, "q2out-pub", configure: o => o.AutoReconnect = false))
        {
            await publisher.ConnectAsync();
            await publisher.PublishAsync("q2out/a", "one"u8.ToArray(), MqttQos.ExactlyOnce);
            await publisher.PublishAsync("q2out/b", "two"u8.ToArray(), MqttQos.ExactlyOnce);
        }
        await TestSupport.WaitUntilAsync(() =>
            NthPublishId(proxy, false, 2) is var id2 && id2 != 0 && Saw(proxy.Log, true, MqttPacketType.PubRec, id2, dropped: true) &&
            Saw(proxy.Log, true, MqttPacketType.PubComp, NthPublishId(proxy, false, 1), dropped: true),
            "the first PUBCOMP and the second PUBREC to be held back");
        var (id1, id2) = (NthPublishId(proxy, false, 1), NthPublishId(proxy, false, 2));
        Assert.Equal(1, counts["one"]);
        Assert.Equal(1, counts["two"]);

        host.Kill();
        var before = proxy.Log.Count;
        port = await StartAsync(host);
        proxy.UpstreamPort = port;
        proxy.Drop = null;
        await TestSupport.WaitUntilAsync(() =>
        {
            var after = proxy.Log.Skip(before).ToList();
            return Saw(after, true, MqttPacketType.PubComp, id1, false) && Saw(after, true, MqttPacketType.PubComp, id2, false);
        }, $"the subscriber to complete both exchanges after the restart (PUBREL {id1} and PUBLISH {id2} resent)");
        var resent = proxy.Log.Skip(before).Where(p => !p.FromClient).ToList();
        Assert.True(Saw(resent, false, MqttPacketType.PubRel, id1, false), $"the broker did not resend PUBREL {id1}");
        Assert.DoesNotContain(resent, p => p.Type == MqttPacketType.Publish && p.PacketId == id1);
        Assert.Contains(resent, p => p.Type == MqttPacketType.Publish && p.PacketId == id2 && p.Dup);

        await using (var publisher = TestSupport.Client(port, "q2out-pub", configure: o => o.AutoReconnect = false))
        {
            await publisher.ConnectAsync();
            await publisher.PublishAsync("q2out/c", "marker"u8.ToArray(), MqttQos.ExactlyOnce);
        }
        await TestSupport.WaitUntilAsync(() => counts.ContainsKey("marker"), "the marker after the restart");
        Assert.Equal(1, counts["one"]);
        Assert.Equal(1, counts["two"]);
        Directory.Delete(dir, true);
    }

    [Fact]
    public async Task SigKill_DuringQos2Stream_EveryCompletedPublishArrivesExactlyOnce()
    {
        var dir = TestSupport.TempDir();
        await using var host = Host(dir, "crash-qos2-stream");
        var port = await StartAsync(host);
        await using var proxy = new PacketProxy(port);
        var counts = new ConcurrentDictionary<string, int>();
        await using var subscriber = ThroughProxy(proxy, "q2s-sub", Counting(counts));
        await subscriber.ConnectAsync();
        await subscriber.SubscribeAsync("q2s/#", MqttQos.ExactlyOnce);
        await using var publisher = ThroughProxy(proxy, "q2s-pub");
        await publisher.ConnectAsync();

        // 50 QoS 2 publishes outstanding at a time; the broker is killed mid-stream, in the middle of exchanges in both directions.
        var completed = new ConcurrentBag<int>();
        var started = new ConcurrentBag<Task>();
        using var stop = new CancellationTokenSource();
        var window = new SemaphoreSlim(50);
        var publishing = Task.Run(async () =>
        {
            for (var i = 0; ; i++)
            {
                try
                {
                    await window.WaitAsync(stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return; // the broker is down: stop starting publishes (the started ones complete after the restart)
                }
                var n = i;
                started.Add(Task.Run(async () =>
                {
                    try
                    {
                        await publisher.PublishAsync("q2s/m", Encoding.ASCII.GetBytes(n.ToString(System.Globalization.CultureInfo.InvariantCulture)), MqttQos.ExactlyOnce);
                        completed.Add(n);
                    }
                    finally
                    {
                        window.Release();
                    }
                }));
            }
        });
        await TestSupport.WaitUntilAsync(() => completed.Count >= 500, "500 completed QoS 2 publishes");
        host.Kill();
        await stop.CancelAsync();
        await publishing.WithTimeout("the publishing loop to stop");
        proxy.UpstreamPort = await StartAsync(host);

        // The publisher's session resumes: every publish it started completes, and each reaches the subscriber once.
        await Task.WhenAll(started).WithTimeout($"all {started.Count} started publishes to complete after the restart", TimeSpan.FromSeconds(60));
        await TestSupport.WaitUntilAsync(() => completed.All(n => counts.ContainsKey(n.ToString(System.Globalization.CultureInfo.InvariantCulture))),
            $"all {completed.Count} completed publishes at the subscriber (got {counts.Count})");
        var twice = counts.Where(kv => kv.Value > 1).Select(kv => kv.Key).ToList();
        Assert.True(twice.Count == 0, $"delivered more than once: {string.Join(',', twice.Take(10))}");
        Directory.Delete(dir, true);
    }
}
