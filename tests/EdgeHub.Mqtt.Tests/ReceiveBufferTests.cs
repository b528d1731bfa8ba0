using EdgeHub.Mqtt.Packets;
using EdgeHub.Mqtt.Formatter;

namespace EdgeHub.Mqtt.Tests;

/// <summary>The broker's receive side: packets larger than its 64 KB read array, and packets split across many reads.</summary>
public sealed class ReceiveBufferTests
{
    [Theory]
    [InlineData(70_000)]
    [InlineData(5 << 20)]
    public async Task PayloadLargerThanTheReadArray_ArrivesIntact(int size)
    {
        await using var broker = await TestSupport.StartBrokerAsync();
        await using var sub = TestSupport.Client(broker.Port, "big-sub");
        await using var pub = TestSupport.Client(broker.Port, "big-pub");
        var got = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        sub.MessageReceived = (m, _) =>
        {
            got.TrySetResult(m.Payload.ToArray());
            return ValueTask.CompletedTask;
        };
        await sub.ConnectAsync();
        await sub.SubscribeAsync("big/#");
        await pub.ConnectAsync();
        var payload = new byte[size];
        new Random(size).NextBytes(payload);
        await pub.PublishAsync("big/one", payload, MqttQos.AtLeastOnce);
        var received = await got.Task.WithTimeout("the large message");
        Assert.Equal(payload, received);
    }

    [Fact]
    public async Task PacketsTrickledOneByteAtATime_AreAllHandled()
    {
        await using var broker = await TestSupport.StartBrokerAsync();
        await using var raw = await RawConnection.ConnectAsync(broker.Port, "trickle");
        using var encoder = new MqttPacketEncoder(MqttProtocolVersion.V500);
        await raw.SendAsync(new MqttSubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription("t/#", MqttQos.AtLeastOnce)] });
        Assert.IsType<MqttSubAckPacket>(await raw.ReadAsync());
        // Three PUBLISH packets back to back, written one byte per write: every read ends inside a packet.
        var bytes = new List<byte>();
        for (ushort id = 10; id < 13; id++)
        {
            bytes.AddRange(encoder.Encode(new MqttPublishPacket { Topic = "t/x", Qos = MqttQos.AtLeastOnce, PacketId = id, Payload = new byte[300] }));
        }
        foreach (var b in bytes)
        {
            await raw.SendAsync([b]);
        }
        var acks = new HashSet<ushort>();
        var delivered = 0;
        while (acks.Count < 3 || delivered < 3)
        {
            switch (await raw.ReadAsync())
            {
                case MqttPubAckPacket ack:
                    acks.Add(ack.PacketId);
                    break;
                case MqttPublishPacket p:
                    Assert.Equal(300, p.Payload.Length);
                    delivered++;
                    await raw.SendAsync(new MqttPubAckPacket { PacketId = p.PacketId });
                    break;
                case null:
                    Assert.Fail("the broker closed the connection");
                    break;
            }
        }
        Assert.Equal(new ushort[] { 10, 11, 12 }, acks.Order().ToArray());
    }
}
