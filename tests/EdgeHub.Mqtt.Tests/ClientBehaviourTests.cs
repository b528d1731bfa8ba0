using System.Collections.Concurrent;

namespace EdgeHub.Mqtt.Tests;

/// <summary>Client semantics the edge, hub and simulators rely on, against our broker.</summary>
public sealed class ClientBehaviourTests
{
    [Fact]
    public async Task Handler_PublishesAndAwaitsPubAck_NoDeadlock()
    {
        // The edge answers each telemetry frame with feedback from inside MessageReceived.
        await using var broker = await TestSupport.StartBrokerAsync();
        await using var edge = TestSupport.Client(broker.Port, "edge");
        edge.MessageReceived = async (m, ct) =>
        {
            var device = m.Topic.Split('/')[1];
            await edge.PublishAsync($"fb/{device}", m.Payload.ToArray(), MqttQos.AtLeastOnce, ct: ct);
        };
        await edge.ConnectAsync();
        await edge.SubscribeAsync("tele/+");
        await using var device = TestSupport.Client(broker.Port, "device");
        var feedback = new ConcurrentQueue<int>();
        device.MessageReceived = (m, _) => { feedback.Enqueue(BitConverter.ToInt32(m.Payload.Span)); return ValueTask.CompletedTask; };
        await device.ConnectAsync();
        await device.SubscribeAsync("fb/#");
        for (var i = 0; i < 300; i++)
        {
            await device.PublishAsync("tele/d1", BitConverter.GetBytes(i));
        }
        await TestSupport.WaitUntilAsync(() => feedback.Count == 300, "300 feedback messages");
        Assert.Equal(Enumerable.Range(0, 300), feedback);
    }

    [Theory]
    [InlineData(MqttQos.AtLeastOnce)]
    [InlineData(MqttQos.ExactlyOnce)]
    public async Task UnawaitedPublishes_BeyondTheReceiveMaximum_GoOutInCallOrder(MqttQos qos)
    {
        // 3000 publishes against a window of 20: most wait for a slot, and must still leave in the order they were made.
        await using var broker = await TestSupport.StartBrokerAsync(o => o.MaxInflightMessages = 20);
        var received = new ConcurrentQueue<int>();
        await using var subscriber = TestSupport.Client(broker.Port, "order-sub");
        subscriber.MessageReceived = (m, _) =>
        {
            received.Enqueue(BitConverter.ToInt32(m.Payload.Span));
            return ValueTask.CompletedTask;
        };
        await subscriber.ConnectAsync();
        await subscriber.SubscribeAsync("order/#", qos);
        await using var publisher = TestSupport.Client(broker.Port, "order-pub");
        await publisher.ConnectAsync();
        var sends = new List<Task>(3000);
        for (var i = 0; i < 3000; i++)
        {
            sends.Add(publisher.PublishAsync("order/m", BitConverter.GetBytes(i), qos).AsTask());
        }
        await Task.WhenAll(sends).WithTimeout("3000 acknowledged publishes", TimeSpan.FromSeconds(60));
        await TestSupport.WaitUntilAsync(() => received.Count == 3000, $"3000 messages (got {received.Count})");
        Assert.Equal(Enumerable.Range(0, 3000), received);
    }

    [Fact]
    public async Task PublishAsync_CancelledWhileWaitingForWindow_NeverSent_LaterPublishesStillFlow()
    {
        await using var broker = await TestSupport.StartBrokerAsync(o => o.MaxInflightMessages = 1);
        var received = new ConcurrentQueue<string>();
        await using var subscriber = TestSupport.Client(broker.Port, "cw-sub");
        subscriber.MessageReceived = (m, _) =>
        {
            received.Enqueue(System.Text.Encoding.ASCII.GetString(m.Payload.Span));
            return ValueTask.CompletedTask;
        };
        await subscriber.ConnectAsync();
        await subscriber.SubscribeAsync("cw/#", MqttQos.AtLeastOnce);
        // Window of 1 and the PUBACK of "a" lost on the way: "b" waits for the slot and is cancelled there; after the
        // reconnect "a" is resent, acknowledged, and "c" follows. "b" must never reach the broker.
        await using var proxy = new PacketProxy(broker.Port);
        var dropped = 0;
        proxy.Drop = p => !p.FromClient && p.Type == Protocol.MqttPacketType.PubAck && Interlocked.Exchange(ref dropped, 1) == 0;
        await using var publisher = TestSupport.Client(proxy.Port, "cw-pub", configure: o => o.MaxReconnectDelay = TimeSpan.FromMilliseconds(300));
        await publisher.ConnectAsync();
        var a = publisher.PublishAsync("cw/m", "a"u8.ToArray(), MqttQos.AtLeastOnce).AsTask();
        using var cancel = new CancellationTokenSource();
        var b = publisher.PublishAsync("cw/m", "b"u8.ToArray(), MqttQos.AtLeastOnce, ct: cancel.Token).AsTask();
        var c = publisher.PublishAsync("cw/m", "c"u8.ToArray(), MqttQos.AtLeastOnce).AsTask();
        await TestSupport.WaitUntilAsync(() => Volatile.Read(ref dropped) == 1, "the PUBACK of a to be lost");
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => b);
        proxy.CutAll();
        await Task.WhenAll(a, c).WithTimeout("a (resent after the reconnect) and c");
        await TestSupport.WaitUntilAsync(() => received.Contains("c"), "c at the subscriber");
        Assert.DoesNotContain("b", received);
        Assert.Equal("c", received.Last());
        Assert.Contains("a", received);
    }

    [Fact]
    public async Task PublishAsync_BoundedQueueWhileBrokerDown_WaitsThenDrainsAfterReconnect()
    {
        var broker = await TestSupport.StartBrokerAsync();
        var port = broker.Port;
        await using var client = TestSupport.Client(port, "bp", configure: o => { o.MaxPendingPublishes = 5; o.MaxReconnectDelay = TimeSpan.FromMilliseconds(200); });
        await client.ConnectAsync();
        await broker.DisposeAsync();
        await TestSupport.WaitUntilAsync(() => !client.IsConnected, "the client to notice the broker is gone");
        var pending = Enumerable.Range(0, 8).Select(i => client.PublishAsync("bp/x", BitConverter.GetBytes(i)).AsTask()).ToList();
        Assert.All(pending, t => Assert.False(t.IsCompleted)); // at most 5 accepted, none acknowledged: all wait
        await using var restarted = await TestSupport.StartBrokerAsync(o => o.Port = port);
        await Task.WhenAll(pending).WithTimeout("the queued publishes to be acknowledged after the reconnect");
    }

    [Fact]
    public async Task Subscribe_InvalidFilter_ArgumentException_AndRefusedFilterThrows()
    {
        await using var broker = await TestSupport.StartBrokerAsync(o =>
        {
            var acl = Path.Combine(TestSupport.TempDir(), "acl");
            File.WriteAllText(acl, "topic read open/#\n");
            o.AclFile = acl;
        });
        await using var client = TestSupport.Client(broker.Port, "sf");
        await client.ConnectAsync();
        await Assert.ThrowsAsync<ArgumentException>(() => client.SubscribeAsync("a/#/b"));
        var ex = await Assert.ThrowsAsync<MqttException>(() => client.SubscribeAsync("closed/#"));
        Assert.Equal(Protocol.MqttReasonCode.NotAuthorized, ex.ReasonCode);
        await client.SubscribeAsync("open/x");
    }

    [Fact]
    public async Task Publish_DeniedByAcl_V5ThrowsNotAuthorized()
    {
        await using var broker = await TestSupport.StartBrokerAsync(o =>
        {
            var acl = Path.Combine(TestSupport.TempDir(), "acl");
            File.WriteAllText(acl, "pattern write dev/%c/#\n");
            o.AclFile = acl;
        });
        await using var client = TestSupport.Client(broker.Port, "d7");
        await client.ConnectAsync();
        await client.PublishAsync("dev/d7/t", "ok"u8.ToArray());
        var ex = await Assert.ThrowsAsync<MqttPublishException>(() => client.PublishAsync("dev/d8/t", "no"u8.ToArray()).AsTask());
        Assert.Equal(Protocol.MqttReasonCode.NotAuthorized, ex.ReasonCode);
    }

    [Fact]
    public async Task Qos2_ExactlyOnce_AcrossAbruptReconnects()
    {
        await using var broker = await TestSupport.StartBrokerAsync();
        await using var sub = TestSupport.Client(broker.Port, "x2-sub", configure: o => { o.SessionExpiryInterval = 60; o.CleanStart = false; });
        var got = new ConcurrentQueue<int>();
        sub.MessageReceived = (m, _) => { got.Enqueue(BitConverter.ToInt32(m.Payload.Span)); return ValueTask.CompletedTask; };
        await sub.ConnectAsync();
        await sub.SubscribeAsync("x2/#", MqttQos.ExactlyOnce);
        await using var pub = TestSupport.Client(broker.Port, "x2-pub", configure: o => { o.SessionExpiryInterval = 60; o.CleanStart = false; o.MaxReconnectDelay = TimeSpan.FromMilliseconds(100); });
        await pub.ConnectAsync();
        var sends = new List<Task>();
        for (var i = 0; i < 200; i++)
        {
            sends.Add(pub.PublishAsync("x2/t", BitConverter.GetBytes(i), MqttQos.ExactlyOnce).AsTask());
            if (i % 50 == 25)
            {
                pub.AbortConnectionForTesting();
                sub.AbortConnectionForTesting();
            }
        }
        await Task.WhenAll(sends).WithTimeout("all QoS 2 publishes to complete");
        await TestSupport.WaitUntilAsync(() => got.Count >= 200, "200 deliveries");
        await pub.PublishAsync("x2/end", BitConverter.GetBytes(-1), MqttQos.ExactlyOnce);
        await TestSupport.WaitUntilAsync(() => got.Contains(-1), "the end marker");
        Assert.Equal(Enumerable.Range(0, 200).Append(-1).Order(), got.Order()); // no loss, no duplicate
    }
}
