using System.Collections.Concurrent;
using EdgeHub.Mqtt.Packets;
using EdgeHub.Mqtt.Protocol;

namespace EdgeHub.Mqtt.Tests;

/// <summary>Broker semantics driven by our client and by raw packets.</summary>
public sealed class BrokerBehaviourTests
{
    private static ConcurrentQueue<(string Topic, byte[] Payload, bool Retain)> Collect(MqttClient client)
    {
        var queue = new ConcurrentQueue<(string, byte[], bool)>();
        client.MessageReceived = (m, _) => { queue.Enqueue((m.Topic, m.Payload.ToArray(), m.Retain)); return ValueTask.CompletedTask; };
        return queue;
    }

    [Fact]
    public async Task Wildcards_PlusHashAndDollar_MatchPerSpec()
    {
        await using var broker = await TestSupport.StartBrokerAsync();
        await using var client = TestSupport.Client(broker.Port, "wild");
        var got = Collect(client);
        await client.ConnectAsync();
        await client.SubscribeAsync([new MqttSubscription("a/+/c", MqttQos.AtMostOnce), new MqttSubscription("x/#", MqttQos.AtMostOnce), new MqttSubscription("#", MqttQos.AtMostOnce)]);
        await using var pub = TestSupport.Client(broker.Port, "wild-pub");
        await pub.ConnectAsync();
        foreach (var topic in new[] { "a/b/c", "a/b/c/d", "x", "x/y/z", "$SYS/load", "m" })
        {
            await pub.PublishAsync(topic, new byte[] { 1 }, MqttQos.AtLeastOnce);
        }
        await TestSupport.WaitUntilAsync(() => got.Count >= 5, "five matching topics");
        await pub.PublishAsync("end", new byte[] { 1 }, MqttQos.AtLeastOnce);
        await TestSupport.WaitUntilAsync(() => got.Any(m => m.Topic == "end"), "the end marker");
        // Overlapping subscriptions deliver once per message; "$SYS/load" is not matched by "#" [MQTT-4.7.2-1].
        Assert.Equal(["a/b/c", "a/b/c/d", "x", "x/y/z", "m", "end"], got.Select(m => m.Topic));
    }

    [Fact]
    public async Task Retained_SetReplaceClear_LateSubscriberSeesLatest()
    {
        await using var broker = await TestSupport.StartBrokerAsync();
        await using var pub = TestSupport.Client(broker.Port, "rp");
        await pub.ConnectAsync();
        await pub.PublishAsync("m/eu", "v1"u8.ToArray(), retain: true);
        await pub.PublishAsync("m/eu", "v2"u8.ToArray(), retain: true);
        await pub.PublishAsync("m/us", "u1"u8.ToArray(), retain: true);
        await pub.PublishAsync("m/us", ReadOnlyMemory<byte>.Empty, retain: true);
        Assert.Equal(1, broker.RetainedCount);
        await using var sub = TestSupport.Client(broker.Port, "rs");
        var got = Collect(sub);
        await sub.ConnectAsync();
        await sub.SubscribeAsync("m/+");
        await TestSupport.WaitUntilAsync(() => !got.IsEmpty, "the retained message");
        var m = Assert.Single(got);
        Assert.Equal(("m/eu", "v2", true), (m.Topic, System.Text.Encoding.UTF8.GetString(m.Payload), m.Retain));
    }

    [Fact]
    public async Task SessionTakeover_SameClientId_OldConnectionGetsSessionTakenOver()
    {
        await using var broker = await TestSupport.StartBrokerAsync();
        await using var first = await RawConnection.ConnectAsync(broker.Port, "same");
        await using var second = await RawConnection.ConnectAsync(broker.Port, "same");
        var last = await first.ReadUntilClosedAsync();
        Assert.Equal(MqttReasonCode.SessionTakenOver, Assert.IsType<MqttDisconnectPacket>(last).ReasonCode);
        await second.SendAsync(MqttPingReqPacket.Instance);
        Assert.IsType<MqttPingRespPacket>(await second.ReadAsync());
    }

    [Fact]
    public async Task WillDelay_ReconnectBeforeDelay_WillNotPublished_OtherwisePublished()
    {
        await using var broker = await TestSupport.StartBrokerAsync();
        await using var watcher = TestSupport.Client(broker.Port, "watch");
        var got = Collect(watcher);
        await watcher.ConnectAsync();
        await watcher.SubscribeAsync("will/#");
        void Configure(MqttConnectPacket c)
        {
            c.CleanStart = false;
            c.SessionExpiryInterval = 60;
            c.Will = new MqttApplicationMessage { Topic = "will/delayed", Payload = "gone"u8.ToArray(), Qos = MqttQos.AtLeastOnce };
            c.WillDelayInterval = 2;
        }
        var a = await RawConnection.ConnectAsync(broker.Port, "w1", configure: Configure);
        await a.DisposeAsync(); // dropped without DISCONNECT
        await using var back = await RawConnection.ConnectAsync(broker.Port, "w1", configure: Configure); // back within the delay
        var b = await RawConnection.ConnectAsync(broker.Port, "w2", configure: Configure);
        await b.DisposeAsync();
        await TestSupport.WaitUntilAsync(() => !got.IsEmpty, "the delayed will of w2");
        await watcher.PublishAsync("will/marker", "m"u8.ToArray());
        await TestSupport.WaitUntilAsync(() => got.Any(m => m.Topic == "will/marker"), "the marker");
        Assert.Equal(["will/delayed", "will/marker"], got.Select(m => m.Topic)); // exactly one will: w2's
    }

    [Fact]
    public async Task SessionExpiry_Elapsed_SessionAndSubscriptionsRemoved()
    {
        await using var broker = await TestSupport.StartBrokerAsync();
        var raw = await RawConnection.ConnectAsync(broker.Port, "exp", configure: c => { c.CleanStart = true; c.SessionExpiryInterval = 1; });
        await raw.SendAsync(new MqttSubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription("e/#")] });
        Assert.IsType<MqttSubAckPacket>(await raw.ReadAsync());
        await raw.DisposeAsync();
        Assert.Equal(1, broker.SubscriptionCount);
        await TestSupport.WaitUntilAsync(() => broker.SessionCount == 0 && broker.SubscriptionCount == 0, "the 1-second session to expire");
    }

    /// <summary>A persistent session (expiry 300 s) subscribed to <paramref name="filters"/>, whose client then disconnects.</summary>
    private static async Task LeaveOfflineSessionAsync(MqttBroker broker, string clientId, params string[] filters)
    {
        await using var client = TestSupport.Client(broker.Port, clientId, configure: o => o.SessionExpiryInterval = 300);
        await client.ConnectAsync();
        foreach (var filter in filters)
        {
            await client.SubscribeAsync(filter);
        }
        await client.DisconnectAsync();
    }

    [Fact]
    public async Task PersistentSession_OfflineQos1Messages_QueueBoundedByBytes_ButOneLargeMessageAlwaysFits()
    {
        await using var broker = await TestSupport.StartBrokerAsync(o => o.MaxQueuedBytes = 10 * 1024);
        await LeaveOfflineSessionAsync(broker, "offline-bytes", "q/#", "big/#");
        await using (var pub = TestSupport.Client(broker.Port, "qp-bytes"))
        {
            await pub.ConnectAsync();
            for (var i = 0; i < 30; i++)
            {
                var payload = new byte[1024];
                BitConverter.TryWriteBytes(payload, i);
                await pub.PublishAsync("q/x", payload);
            }
        }
        var session = broker.SessionOf("offline-bytes")!;
        Assert.Equal(10 * 1024, session.HeldBytes);
        Assert.Equal(20, session.DroppedMessages);
        await using var again = TestSupport.Client(broker.Port, "offline-bytes", configure: o => { o.SessionExpiryInterval = 300; o.CleanStart = false; });
        var got = Collect(again);
        await again.ConnectAsync();
        await TestSupport.WaitUntilAsync(() => got.Count == 10, "the 10 queued messages that fit 10 KB");
        Assert.Equal(Enumerable.Range(0, 10), got.Select(m => BitConverter.ToInt32(m.Payload)));
        await TestSupport.WaitUntilAsync(() => session.HeldBytes == 0, "every delivered message acknowledged and released");

        // Larger than the limit, to a client holding nothing: delivered, or it could never be.
        await using var pub2 = TestSupport.Client(broker.Port, "qp-big");
        await pub2.ConnectAsync();
        await pub2.PublishAsync("big/one", new byte[50_000]);
        await TestSupport.WaitUntilAsync(() => got.Any(m => m.Topic == "big/one"), "the 50 KB message");
    }

    [Fact]
    public async Task StalledQos0Subscriber_HoldsAtMostTheByteLimit_AndTheBrokerStaysResponsive()
    {
        const long Limit = 256 * 1024;
        await using var broker = await TestSupport.StartBrokerAsync(o => o.MaxQueuedBytes = Limit);
        // Subscribes, then does not read: the kernel's buffers fill, then the broker's queue for it.
        await using var stalled = await RawConnection.ConnectAsync(broker.Port, "stalled");
        await stalled.SendAsync(new MqttSubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription("flood/#")] });
        Assert.IsType<MqttSubAckPacket>(await stalled.ReadAsync());
        var session = broker.SessionOf("stalled")!;
        var connection = session.Connection!;
        long peak = 0;
        using var stop = new CancellationTokenSource();
        var watch = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                peak = Math.Max(peak, connection.QueuedQos0Bytes);
                await Task.Delay(1);
            }
        });
        await using var pub = TestSupport.Client(broker.Port, "flooder");
        await pub.ConnectAsync();
        var payload = new byte[16 * 1024];
        for (var i = 0; i < 4000 && session.DroppedMessages == 0; i++)
        {
            await pub.PublishAsync("flood/x", payload, MqttQos.AtMostOnce);
        }
        // 16 messages fill the limit, far below the 10,000-message one: the drops are the byte limit's.
        await TestSupport.WaitUntilAsync(() => session.DroppedMessages > 0, "the stalled subscriber's messages to be dropped at the byte limit");
        await stop.CancelAsync();
        await watch;
        Assert.InRange(peak, 0, Limit);

        // Everyone else is served as before.
        await using var other = TestSupport.Client(broker.Port, "other");
        var got = Collect(other);
        await other.ConnectAsync();
        await other.SubscribeAsync("ping/#", MqttQos.AtLeastOnce);
        await pub.PublishAsync("ping/1", "p"u8.ToArray(), MqttQos.AtLeastOnce);
        await TestSupport.WaitUntilAsync(() => got.Any(m => m.Topic == "ping/1"), "a message to a reading subscriber");
    }

    [Fact]
    public async Task PersistentSession_OfflineQos1Messages_DeliveredOnResume_QueueBounded()
    {
        await using var broker = await TestSupport.StartBrokerAsync(o => o.MaxQueuedMessages = 50);
        await LeaveOfflineSessionAsync(broker, "offline", "q/#");
        await using (var pub = TestSupport.Client(broker.Port, "qp"))
        {
            await pub.ConnectAsync();
            for (var i = 0; i < 80; i++)
            {
                await pub.PublishAsync("q/x", BitConverter.GetBytes(i));
            }
        }
        await using var again = TestSupport.Client(broker.Port, "offline", configure: o => { o.SessionExpiryInterval = 300; o.CleanStart = false; });
        var got = Collect(again);
        await again.ConnectAsync();
        Assert.True(again.SessionPresent);
        await TestSupport.WaitUntilAsync(() => got.Count == 50, "the 50 queued messages");
        // Policy: a full queue drops the newest; the first 50 arrive in order.
        Assert.Equal(Enumerable.Range(0, 50), got.Select(m => BitConverter.ToInt32(m.Payload)));
    }

    [Fact]
    public async Task Persistence_Restart_RetainedSessionsAndQueuedMessagesSurvive()
    {
        var dir = TestSupport.TempDir();
        int port;
        await using (var broker = await TestSupport.StartBrokerAsync(o => o.PersistenceDirectory = dir))
        {
            port = broker.Port;
            var sub = TestSupport.Client(port, "durable", configure: o => o.SessionExpiryInterval = 3600);
            await sub.ConnectAsync();
            await sub.SubscribeAsync("d/#");
            await sub.DisconnectAsync();
            await sub.DisposeAsync();
            await using var pub = TestSupport.Client(port, "dp");
            await pub.ConnectAsync();
            await pub.PublishAsync("cfg/model", "v9"u8.ToArray(), retain: true);
            for (var i = 0; i < 5; i++)
            {
                await pub.PublishAsync("d/x", BitConverter.GetBytes(i));
            }
        }
        Assert.True(File.Exists(Path.Combine(dir, "sessions.log")));
        await using var restarted = await TestSupport.StartBrokerAsync(o => o.PersistenceDirectory = dir);
        Assert.Equal(1, restarted.RetainedCount);
        await using var again = TestSupport.Client(restarted.Port, "durable", configure: o => { o.SessionExpiryInterval = 3600; o.CleanStart = false; });
        var got = Collect(again);
        await again.ConnectAsync();
        Assert.True(again.SessionPresent);
        await TestSupport.WaitUntilAsync(() => got.Count == 5, "the 5 messages queued before the restart");
        Assert.Equal(Enumerable.Range(0, 5), got.Select(m => BitConverter.ToInt32(m.Payload)));
        // The subscription survived too: a new message is routed to it.
        await using var pub2 = TestSupport.Client(restarted.Port, "dp2");
        await pub2.ConnectAsync();
        await pub2.PublishAsync("d/y", BitConverter.GetBytes(99));
        await TestSupport.WaitUntilAsync(() => got.Count == 6, "a message after the restart");
    }

    [Fact]
    public async Task TopicAlias_SetThenUse_Routes_UnknownAliasIsProtocolError()
    {
        await using var broker = await TestSupport.StartBrokerAsync();
        await using var sub = TestSupport.Client(broker.Port, "alias-sub");
        var got = Collect(sub);
        await sub.ConnectAsync();
        await sub.SubscribeAsync("ehub/v1/devices/d1/telemetry");
        await using var raw = await RawConnection.ConnectAsync(broker.Port, "alias-pub");
        await raw.SendAsync(new MqttPublishPacket { Topic = "ehub/v1/devices/d1/telemetry", TopicAlias = 1, Payload = new byte[] { 1 } });
        await raw.SendAsync(new MqttPublishPacket { Topic = "", TopicAlias = 1, Payload = new byte[] { 2 } });
        await TestSupport.WaitUntilAsync(() => got.Count == 2, "both aliased messages");
        Assert.All(got, m => Assert.Equal("ehub/v1/devices/d1/telemetry", m.Topic));
        await raw.SendAsync(new MqttPublishPacket { Topic = "", TopicAlias = 7, Payload = new byte[] { 3 } });
        Assert.Equal(MqttReasonCode.ProtocolError, Assert.IsType<MqttDisconnectPacket>(await raw.ReadUntilClosedAsync()).ReasonCode);
    }

    [Fact]
    public async Task MaximumPacketSize_Exceeded_DisconnectPacketTooLarge_BrokerStaysUp()
    {
        await using var broker = await TestSupport.StartBrokerAsync(o => o.MaxPacketSize = 1024);
        await using var raw = await RawConnection.ConnectAsync(broker.Port, "big");
        await raw.SendAsync(new MqttPublishPacket { Topic = "b", Payload = new byte[5000] });
        Assert.Equal(MqttReasonCode.PacketTooLarge, Assert.IsType<MqttDisconnectPacket>(await raw.ReadUntilClosedAsync()).ReasonCode);
        await using var ok = TestSupport.Client(broker.Port, "after");
        await ok.ConnectAsync();
    }

    [Fact]
    public async Task ClientMaximumPacketSize_LargerMessagesNotSentToIt()
    {
        await using var broker = await TestSupport.StartBrokerAsync();
        await using var raw = await RawConnection.ConnectAsync(broker.Port, "small", configure: c => c.MaximumPacketSize = 100);
        await raw.SendAsync(new MqttSubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription("s/#", MqttQos.AtMostOnce)] });
        Assert.IsType<MqttSubAckPacket>(await raw.ReadAsync());
        await using var pub = TestSupport.Client(broker.Port, "sp");
        await pub.ConnectAsync();
        await pub.PublishAsync("s/big", new byte[500], MqttQos.AtMostOnce);
        await pub.PublishAsync("s/small", new byte[10], MqttQos.AtMostOnce);
        var p = Assert.IsType<MqttPublishPacket>(await raw.ReadAsync());
        Assert.Equal("s/small", p.Topic); // [MQTT-3.1.2-25]: the big one was discarded for this client
    }

    [Fact]
    public async Task KeepAlive_Silent_ClosedAfterOneAndAHalfPeriods()
    {
        await using var broker = await TestSupport.StartBrokerAsync();
        await using var raw = await RawConnection.ConnectAsync(broker.Port, "quiet", configure: c => c.KeepAlive = 1);
        var started = System.Diagnostics.Stopwatch.StartNew();
        var last = await raw.ReadUntilClosedAsync();
        Assert.Equal(MqttReasonCode.KeepAliveTimeout, Assert.IsType<MqttDisconnectPacket>(last).ReasonCode);
        Assert.InRange(started.Elapsed.TotalSeconds, 1.4, 10);
    }

    [Fact]
    public async Task FirstPacketNotConnect_ConnectionClosed()
    {
        await using var broker = await TestSupport.StartBrokerAsync();
        await using var raw = await RawConnection.OpenAsync(broker.Port);
        await raw.SendAsync(MqttPingReqPacket.Instance);
        Assert.Null(await raw.ReadUntilClosedAsync());
    }

    [Fact]
    public async Task UnsupportedProtocolLevel_ConnAckCode1ThenClose()
    {
        await using var broker = await TestSupport.StartBrokerAsync();
        await using var raw = await RawConnection.OpenAsync(broker.Port, MqttProtocolVersion.V311);
        await raw.SendAsync([0x10, 13, 0, 4, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 3, 0x02, 0, 10, 0, 1, (byte)'c']);
        var ack = Assert.IsType<MqttConnAckPacket>(await raw.ReadAsync());
        Assert.Equal(MqttReasonCode.UnsupportedProtocolVersion, ack.ReasonCode);
        Assert.Null(await raw.ReadUntilClosedAsync());
    }

    [Fact]
    public async Task MutatedPacketsOverTheWire_BrokerAnswersOrClosesAndStaysUp()
    {
        await using var broker = await TestSupport.StartBrokerAsync();
        var random = new Random(42);
        var samples = CodecTests.Samples(MqttProtocolVersion.V500).Values.Where(p => p is not MqttConnectPacket).ToList();
        using var encoder = new Formatter.MqttPacketEncoder(MqttProtocolVersion.V500);
        for (var round = 0; round < 60; round++)
        {
            await using var raw = await RawConnection.ConnectAsync(broker.Port, "fuzz" + round);
            var bytes = encoder.Encode(samples[random.Next(samples.Count)]);
            for (var e = 0; e < 1 + random.Next(3); e++)
            {
                bytes[random.Next(Math.Min(bytes.Length, 32))] ^= (byte)(1 << random.Next(8));
            }
            await raw.SendAsync(bytes);
            await raw.SendAsync(MqttPingReqPacket.Instance);
            // The broker answers the ping, closes this one connection, or (when the mutation enlarged the declared
            // remaining length) keeps waiting for the rest of that packet; the other connections are unaffected.
            try
            {
                while (await raw.ReadAsync(TimeSpan.FromSeconds(2)) is { } answer)
                {
                    if (answer is MqttPingRespPacket or MqttDisconnectPacket)
                    {
                        break;
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        }
        await using var healthy = TestSupport.Client(broker.Port, "healthy");
        await healthy.ConnectAsync();
        await healthy.SubscribeAsync("h");
        await healthy.PublishAsync("h", "ok"u8.ToArray());
    }

    [Fact]
    public async Task ConnectionLimit_Exceeded_RefusedWithServerBusy()
    {
        await using var broker = await TestSupport.StartBrokerAsync(o => o.MaxConnections = 2);
        await using var a = await RawConnection.ConnectAsync(broker.Port, "l1");
        await using var b = await RawConnection.ConnectAsync(broker.Port, "l2");
        await using var c = TestSupport.Client(broker.Port, "l3", configure: o => o.AutoReconnect = false);
        var ex = await Assert.ThrowsAsync<MqttConnectException>(() => c.ConnectAsync());
        Assert.Equal(MqttReasonCode.ServerBusy, ex.ReasonCode);
    }
}
