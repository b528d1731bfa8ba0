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
