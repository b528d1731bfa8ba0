using System.Collections.Concurrent;
using System.Text;

namespace EdgeHub.Mqtt.Tests;

/// <summary>Our client against the real mosquitto broker.</summary>
public sealed class ClientAgainstMosquittoTests
{
    private static ConcurrentQueue<MqttApplicationMessage> Collect(MqttClient client)
    {
        var queue = new ConcurrentQueue<MqttApplicationMessage>();
        client.MessageReceived = (m, _) =>
        {
            // Payload is only valid during the call: keep a copy.
            queue.Enqueue(new MqttApplicationMessage
            {
                Topic = m.Topic, Payload = m.Payload.ToArray(), Qos = m.Qos, Retain = m.Retain, ContentType = m.ContentType,
                ResponseTopic = m.ResponseTopic, CorrelationData = m.CorrelationData.ToArray(), UserProperties = m.UserProperties,
                MessageExpiryInterval = m.MessageExpiryInterval, SubscriptionIdentifiers = m.SubscriptionIdentifiers,
            });
            return ValueTask.CompletedTask;
        };
        return queue;
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311, MqttQos.AtMostOnce)]
    [InlineData(MqttProtocolVersion.V311, MqttQos.AtLeastOnce)]
    [InlineData(MqttProtocolVersion.V311, MqttQos.ExactlyOnce)]
    [InlineData(MqttProtocolVersion.V500, MqttQos.AtMostOnce)]
    [InlineData(MqttProtocolVersion.V500, MqttQos.AtLeastOnce)]
    [InlineData(MqttProtocolVersion.V500, MqttQos.ExactlyOnce)]
    public async Task PublishSubscribe_Mosquitto_AllQosInOrder(MqttProtocolVersion version, MqttQos qos)
    {
        await using var mosquitto = await Mosquitto.StartAsync();
        await using var sub = TestSupport.Client(mosquitto.Port, "sub", version);
        await using var pub = TestSupport.Client(mosquitto.Port, "pub", version);
        var received = Collect(sub);
        await sub.ConnectAsync();
        await sub.SubscribeAsync("t/#", qos);
        await pub.ConnectAsync();
        for (var i = 0; i < 500; i++)
        {
            await pub.PublishAsync("t/x", BitConverter.GetBytes(i), qos);
        }
        await TestSupport.WaitUntilAsync(() => received.Count == 500, "500 messages from mosquitto");
        Assert.Equal(Enumerable.Range(0, 500), received.Select(m => BitConverter.ToInt32(m.Payload.Span)));
        Assert.All(received, m => Assert.Equal(qos, m.Qos));
    }

    [Fact]
    public async Task Publish_V5Properties_SurviveMosquittoRoundTrip()
    {
        await using var mosquitto = await Mosquitto.StartAsync();
        await using var sub = TestSupport.Client(mosquitto.Port, "sub5");
        await using var pub = TestSupport.Client(mosquitto.Port, "pub5");
        var received = Collect(sub);
        await sub.ConnectAsync();
        await sub.SubscribeAsync([new MqttSubscription("props/+", MqttQos.AtLeastOnce) { SubscriptionIdentifier = 42 }]);
        await pub.ConnectAsync();
        await pub.PublishAsync(new MqttApplicationMessage
        {
            Topic = "props/a",
            Payload = "{\"hr\":72}"u8.ToArray(),
            Qos = MqttQos.AtLeastOnce,
            ContentType = "application/json",
            ResponseTopic = "reply/here",
            CorrelationData = new byte[] { 1, 2, 3 },
            MessageExpiryInterval = 600,
            UserProperties = [new("device", "d-1"), new("seq", "7")],
        });
        await TestSupport.WaitUntilAsync(() => received.Count == 1, "the v5 message");
        var m = Assert.Single(received);
        Assert.Equal("application/json", m.ContentType);
        Assert.Equal("reply/here", m.ResponseTopic);
        Assert.Equal(new byte[] { 1, 2, 3 }, m.CorrelationData.ToArray());
        Assert.InRange(m.MessageExpiryInterval!.Value, 590u, 600u);
        Assert.Equal([new("device", "d-1"), new("seq", "7")], m.UserProperties!);
        Assert.Equal([42u], m.SubscriptionIdentifiers!);
    }

    [Fact]
    public async Task Retained_Mosquitto_DeliveredToLateSubscriberAndCleared()
    {
        await using var mosquitto = await Mosquitto.StartAsync();
        await using var pub = TestSupport.Client(mosquitto.Port, "rpub");
        await pub.ConnectAsync();
        await pub.PublishAsync("model/eu", "v7"u8.ToArray(), MqttQos.AtLeastOnce, retain: true);
        await using var sub = TestSupport.Client(mosquitto.Port, "rsub");
        var received = Collect(sub);
        await sub.ConnectAsync();
        await sub.SubscribeAsync("model/#");
        await TestSupport.WaitUntilAsync(() => received.Count == 1, "the retained message");
        Assert.True(received.Single().Retain);
        Assert.Equal("v7", Encoding.UTF8.GetString(received.Single().Payload.Span));
        await pub.PublishAsync("model/eu", ReadOnlyMemory<byte>.Empty, MqttQos.AtLeastOnce, retain: true);
        await using var late = TestSupport.Client(mosquitto.Port, "rlate");
        var lateReceived = Collect(late);
        await late.ConnectAsync();
        await late.SubscribeAsync("model/#");
        await late.PublishAsync("model/marker", "m"u8.ToArray());
        await TestSupport.WaitUntilAsync(() => lateReceived.Count == 1, "the marker");
        Assert.Equal("model/marker", lateReceived.Single().Topic); // the cleared retained message did not come back
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task Will_ConnectionDropped_MosquittoPublishesIt(MqttProtocolVersion version)
    {
        await using var mosquitto = await Mosquitto.StartAsync();
        await using var watcher = TestSupport.Client(mosquitto.Port, "watcher", version);
        var received = Collect(watcher);
        await watcher.ConnectAsync();
        await watcher.SubscribeAsync("status/#");
        var dying = TestSupport.Client(mosquitto.Port, "dying", version, o =>
        {
            o.AutoReconnect = false;
            o.Will = new MqttApplicationMessage { Topic = "status/dying", Payload = "offline"u8.ToArray(), Qos = MqttQos.AtLeastOnce };
        });
        await dying.ConnectAsync();
        dying.AbortConnectionForTesting();
        await TestSupport.WaitUntilAsync(() => received.Count == 1, "the will message");
        Assert.Equal("offline", Encoding.UTF8.GetString(received.Single().Payload.Span));
        await dying.DisposeAsync();
    }

    [Fact]
    public async Task Will_NormalDisconnect_NotPublished()
    {
        await using var mosquitto = await Mosquitto.StartAsync();
        await using var watcher = TestSupport.Client(mosquitto.Port, "watcher2");
        var received = Collect(watcher);
        await watcher.ConnectAsync();
        await watcher.SubscribeAsync("status/#");
        var leaving = TestSupport.Client(mosquitto.Port, "leaving", configure: o =>
            o.Will = new MqttApplicationMessage { Topic = "status/leaving", Payload = "offline"u8.ToArray() });
        await leaving.ConnectAsync();
        await leaving.DisconnectAsync();
        await watcher.PublishAsync("status/marker", "m"u8.ToArray());
        await TestSupport.WaitUntilAsync(() => received.Count == 1, "the marker");
        Assert.Equal("status/marker", received.Single().Topic);
        await leaving.DisposeAsync();
    }

    [Fact]
    public async Task SharedSubscription_Mosquitto_EachMessageToOneMember()
    {
        await using var mosquitto = await Mosquitto.StartAsync();
        await using var a = TestSupport.Client(mosquitto.Port, "share-a");
        await using var b = TestSupport.Client(mosquitto.Port, "share-b");
        var ra = Collect(a);
        var rb = Collect(b);
        await a.ConnectAsync();
        await b.ConnectAsync();
        await a.SubscribeAsync("$share/hub/deltas/#");
        await b.SubscribeAsync("$share/hub/deltas/#");
        await using var pub = TestSupport.Client(mosquitto.Port, "share-pub");
        await pub.ConnectAsync();
        for (var i = 0; i < 100; i++)
        {
            await pub.PublishAsync("deltas/eu/e1", BitConverter.GetBytes(i));
        }
        await TestSupport.WaitUntilAsync(() => ra.Count + rb.Count == 100, "100 shared messages");
        Assert.True(!ra.IsEmpty && !rb.IsEmpty, $"both members get work (a={ra.Count}, b={rb.Count})");
        Assert.Equal(Enumerable.Range(0, 100), ra.Concat(rb).Select(m => BitConverter.ToInt32(m.Payload.Span)).Order());
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task PersistentSession_Mosquitto_QueuedMessagesArriveAfterReconnect(MqttProtocolVersion version)
    {
        await using var mosquitto = await Mosquitto.StartAsync();
        void Persistent(MqttClientOptions o)
        {
            o.CleanStart = version == MqttProtocolVersion.V500;
            o.SessionExpiryInterval = 300;
            if (version == MqttProtocolVersion.V311)
            {
                o.CleanStart = false;
            }
        }
        var first = TestSupport.Client(mosquitto.Port, "persist", version, Persistent);
        await first.ConnectAsync();
        await first.SubscribeAsync("queue/#", MqttQos.AtLeastOnce);
        await first.DisconnectAsync();
        await first.DisposeAsync();
        await using (var pub = TestSupport.Client(mosquitto.Port, "qpub", version))
        {
            await pub.ConnectAsync();
            for (var i = 0; i < 20; i++)
            {
                await pub.PublishAsync("queue/x", BitConverter.GetBytes(i), MqttQos.AtLeastOnce);
            }
        }
        await using var second = TestSupport.Client(mosquitto.Port, "persist", version, o => { Persistent(o); o.CleanStart = false; });
        var received = Collect(second);
        await second.ConnectAsync();
        Assert.True(second.SessionPresent);
        await TestSupport.WaitUntilAsync(() => received.Count == 20, "20 queued messages");
        Assert.Equal(Enumerable.Range(0, 20), received.Select(m => BitConverter.ToInt32(m.Payload.Span)));
    }

    [Fact]
    public async Task AutoReconnect_ConnectionDropped_ResubscribesAndKeepsPublishing()
    {
        await using var mosquitto = await Mosquitto.StartAsync();
        await using var client = TestSupport.Client(mosquitto.Port, "phoenix");
        var received = Collect(client);
        var connects = 0;
        client.Connected += _ => Interlocked.Increment(ref connects);
        await client.ConnectAsync();
        await client.SubscribeAsync("echo/#");
        client.AbortConnectionForTesting();
        // The first connect counted one: wait for the second (right after the abort the old connection can still look open).
        await TestSupport.WaitUntilAsync(() => client.IsConnected && Volatile.Read(ref connects) >= 2, "the reconnect");
        // QoS 1 publish completes only after PUBACK; the subscription was restored, so the message comes back.
        await client.PublishAsync("echo/1", "back"u8.ToArray()).AsTask().WithTimeout("publish after reconnect");
        await TestSupport.WaitUntilAsync(() => received.Any(m => m.Topic == "echo/1"), "the echoed message");
    }

    [Fact]
    public async Task PublishedWhileReconnecting_GoesOutAfterTheSubscriptionsAreRestored()
    {
        await using var mosquitto = await Mosquitto.StartAsync();
        await using var client = TestSupport.Client(mosquitto.Port, "phoenix-2");
        var received = Collect(client);
        await client.ConnectAsync();
        await client.SubscribeAsync("echo/#");
        client.AbortConnectionForTesting();
        await TestSupport.WaitUntilAsync(() => !client.IsConnected, "the connection to drop");
        // Queued while offline (QoS 0 backlog and QoS 1 pending); mosquitto gives the reconnect a new session, so the
        // subscription must be back before these reach it or they are routed to nobody.
        var qos1 = client.PublishAsync("echo/qos1", "1"u8.ToArray(), MqttQos.AtLeastOnce).AsTask();
        await client.PublishAsync("echo/qos0", "0"u8.ToArray(), MqttQos.AtMostOnce);
        await qos1.WithTimeout("the QoS 1 publish after the reconnect");
        await TestSupport.WaitUntilAsync(() => received.Any(m => m.Topic == "echo/qos1") && received.Any(m => m.Topic == "echo/qos0"), "both echoed messages");
    }

    [Fact]
    public async Task Connect_BadPassword_ThrowsWithReasonCode()
    {
        var dir = TestSupport.TempDir();
        var pw = Path.Combine(dir, "passwd");
        await File.WriteAllTextAsync(pw, "alice:" + Security.MqttPasswordFile.HashPassword("secret", 101) + "\n");
        await using var mosquitto = await Mosquitto.StartAsync($"allow_anonymous false\npassword_file {pw}\n");
        await using var bad = TestSupport.Client(mosquitto.Port, "bad", configure: o => { o.Username = "alice"; o.Password = "wrong"; });
        var ex = await Assert.ThrowsAsync<MqttConnectException>(() => bad.ConnectAsync());
        Assert.True(ex.ReasonCode is Protocol.MqttReasonCode.BadUserNameOrPassword or Protocol.MqttReasonCode.NotAuthorized, ex.Message);
        await using var good = TestSupport.Client(mosquitto.Port, "good", configure: o => { o.Username = "alice"; o.Password = "secret"; });
        await good.ConnectAsync(); // mosquitto accepts our PBKDF2-SHA512 $7$ hash
    }
}
