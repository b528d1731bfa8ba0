using System.Collections.Concurrent;
using EdgeHub.Mqtt.Protocol;

namespace EdgeHub.Mqtt.Tests;

/// <summary>QoS 1 across a SIGKILL of the broker with persistence on: an unacknowledged delivery is resent with its original packet identifier (§4.4).</summary>
public sealed partial class BrokerCrashTests
{
    [Fact]
    public async Task SigKill_OutboundQos1_PubackLost_BrokerResendsWithTheSamePacketIdentifier()
    {
        var dir = TestSupport.TempDir();
        await using var host = Host(dir, "crash-qos1-out");
        var port = await StartAsync(host);
        await using var proxy = new PacketProxy(port);
        var counts = new ConcurrentDictionary<string, int>();
        await using var subscriber = ThroughProxy(proxy, "q1out-sub", Counting(counts));
        await subscriber.ConnectAsync();
        await subscriber.SubscribeAsync("q1out/#", MqttQos.AtLeastOnce);
        // Message 2 is the one whose PUBACK never reaches the broker (message 1 moves the identifier off its first value).
        proxy.Drop = p => p.FromClient && p.Type == MqttPacketType.PubAck && p.PacketId == NthPublishId(proxy, false, 2);

        await using (var publisher = TestSupport.Client(port, "q1out-pub", configure: o => o.AutoReconnect = false))
        {
            await publisher.ConnectAsync();
            await publisher.PublishAsync("q1out/a", "one"u8.ToArray(), MqttQos.AtLeastOnce);
            await publisher.PublishAsync("q1out/b", "two"u8.ToArray(), MqttQos.AtLeastOnce);
        }
        await TestSupport.WaitUntilAsync(() => NthPublishId(proxy, false, 2) is var id && id != 0 && Saw(proxy.Log, true, MqttPacketType.PubAck, id, dropped: true),
            "the second PUBACK to be held back");
        var id2 = NthPublishId(proxy, false, 2);
        Assert.Equal(1, counts["two"]);

        host.Kill();
        var before = proxy.Log.Count;
        proxy.UpstreamPort = await StartAsync(host);
        proxy.Drop = null;
        await TestSupport.WaitUntilAsync(() => Saw(proxy.Log.Skip(before), true, MqttPacketType.PubAck, id2, false),
            $"the subscriber to acknowledge the resent message {id2} after the restart");
        var resent = proxy.Log.Skip(before).Where(p => !p.FromClient && p.Type == MqttPacketType.Publish).ToList();
        Assert.Contains(resent, p => p.PacketId == id2 && p.Dup);
        Assert.Equal(2, counts["two"]); // at least once: the client saw it again
        // "one" may come again too: its PUBACK's journal record rides the next flush, which the kill can pre-empt (at least once).
        Directory.Delete(dir, true);
    }
}
