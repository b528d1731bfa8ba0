using System.Collections.Concurrent;
using System.Text;

namespace EdgeHub.Mqtt.Tests;

/// <summary>Our client against MQTTnet 5's server (in this process): the broker a .NET shop would most likely run.</summary>
public sealed class ClientAgainstMqttNetServerTests
{
    private static ConcurrentQueue<(string Topic, byte[] Payload, MqttQos Qos, bool Retain)> Collect(MqttClient client)
    {
        var queue = new ConcurrentQueue<(string, byte[], MqttQos, bool)>();
        client.MessageReceived = (m, _) =>
        {
            // Payload is only valid during the call: keep a copy.
            queue.Enqueue((m.Topic, m.Payload.ToArray(), m.Qos, m.Retain));
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
    public async Task PublishSubscribe_MqttNetServer_AllQosInOrder(MqttProtocolVersion version, MqttQos qos)
    {
        var (server, port) = await MqttNetPeer.StartServerAsync();
        using var _ = server;
        await using var sub = TestSupport.Client(port, "sub", version);
        await using var pub = TestSupport.Client(port, "pub", version);
        var received = Collect(sub);
        await sub.ConnectAsync();
        Assert.True(sub.IsConnected);
        await sub.SubscribeAsync("t/#", qos);
        await pub.ConnectAsync();
        for (var i = 0; i < 500; i++)
        {
            await pub.PublishAsync("t/x", BitConverter.GetBytes(i), qos);
        }
        await TestSupport.WaitUntilAsync(() => received.Count == 500, "500 messages through MQTTnet's server");
        Assert.Equal(Enumerable.Range(0, 500), received.Select(m => BitConverter.ToInt32(m.Payload)));
        Assert.All(received, m => Assert.Equal(qos, m.Qos));
        Assert.All(received, m => Assert.Equal("t/x", m.Topic));
    }

    [Fact]
    public async Task Retained_MqttNetServer_DeliveredToLateSubscriberAndCleared()
    {
        var (server, port) = await MqttNetPeer.StartServerAsync();
        using var _ = server;
        await using var pub = TestSupport.Client(port, "rpub");
        await pub.ConnectAsync();
        await pub.PublishAsync("model/eu", "v7"u8.ToArray(), MqttQos.AtLeastOnce, retain: true);
        await using var sub = TestSupport.Client(port, "rsub");
        var received = Collect(sub);
        await sub.ConnectAsync();
        await sub.SubscribeAsync("model/#");
        await TestSupport.WaitUntilAsync(() => received.Count == 1, "the retained message");
        var m = received.Single();
        Assert.Equal(("model/eu", "v7", true), (m.Topic, Encoding.UTF8.GetString(m.Payload), m.Retain));

        // An empty retained publish clears it: a later subscriber gets only the marker.
        await pub.PublishAsync("model/eu", ReadOnlyMemory<byte>.Empty, MqttQos.AtLeastOnce, retain: true);
        await using var late = TestSupport.Client(port, "rlate");
        var lateReceived = Collect(late);
        await late.ConnectAsync();
        await late.SubscribeAsync("model/#");
        await late.PublishAsync("model/marker", "m"u8.ToArray());
        await TestSupport.WaitUntilAsync(() => lateReceived.Count == 1, "the marker");
        Assert.Equal("model/marker", lateReceived.Single().Topic);
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task Will_ConnectionDropped_MqttNetServerPublishesIt(MqttProtocolVersion version)
    {
        var (server, port) = await MqttNetPeer.StartServerAsync();
        using var _ = server;
        await using var watcher = TestSupport.Client(port, "watcher", version);
        var received = Collect(watcher);
        await watcher.ConnectAsync();
        await watcher.SubscribeAsync("status/#");
        var dying = TestSupport.Client(port, "dying", version, o =>
        {
            o.AutoReconnect = false;
            o.Will = new MqttApplicationMessage { Topic = "status/dying", Payload = "offline"u8.ToArray(), Qos = MqttQos.AtLeastOnce };
        });
        await dying.ConnectAsync();
        dying.AbortConnectionForTesting();
        await TestSupport.WaitUntilAsync(() => received.Count == 1, "the will message");
        Assert.Equal(("status/dying", "offline"), (received.Single().Topic, Encoding.UTF8.GetString(received.Single().Payload)));
        await dying.DisposeAsync();
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task PersistentSession_MqttNetServer_QueuedMessagesArriveAfterReconnect(MqttProtocolVersion version)
    {
        var (server, port) = await MqttNetPeer.StartServerAsync();
        using var _ = server;
        void Persistent(MqttClientOptions o)
        {
            // 3.1.1: clean session off; 5.0: the session outlives the connection by its expiry interval.
            o.CleanStart = version == MqttProtocolVersion.V500;
            o.SessionExpiryInterval = 300;
        }
        var first = TestSupport.Client(port, "persist", version, Persistent);
        await first.ConnectAsync();
        await first.SubscribeAsync("queue/#", MqttQos.AtLeastOnce);
        await first.DisconnectAsync();
        await first.DisposeAsync();
        await using (var pub = TestSupport.Client(port, "qpub", version))
        {
            await pub.ConnectAsync();
            for (var i = 0; i < 20; i++)
            {
                await pub.PublishAsync("queue/x", BitConverter.GetBytes(i), MqttQos.AtLeastOnce);
            }
        }
        await using var second = TestSupport.Client(port, "persist", version, o => { Persistent(o); o.CleanStart = false; });
        var received = Collect(second);
        await second.ConnectAsync();
        Assert.True(second.SessionPresent, "MQTTnet's server kept the session");
        await TestSupport.WaitUntilAsync(() => received.Count == 20, "20 queued messages");
        Assert.Equal(Enumerable.Range(0, 20), received.Select(m => BitConverter.ToInt32(m.Payload)));
    }
}
