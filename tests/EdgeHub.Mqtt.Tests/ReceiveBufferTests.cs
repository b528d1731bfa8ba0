using EdgeHub.Mqtt.Broker;
using EdgeHub.Mqtt.Packets;
using EdgeHub.Mqtt.Formatter;

namespace EdgeHub.Mqtt.Tests;

/// <summary>The broker's receive side: the read array sized from recent reads, packets larger than it, packets split across many reads.</summary>
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

    [Fact]
    public void ReadArray_GrowsWhileReadsFillIt_AndShrinksWhileTheyAreSmall()
    {
        var input = new ReceiveBuffer(1 << 20);
        // One monitor's frames: small reads keep the smallest array.
        Assert.Equal(ReceiveBuffer.MinReadSize, ReadOnce(input, 700));
        Assert.Equal(ReceiveBuffer.MinReadSize, input.ReadSize);

        // A busy connection: every read fills its array, which doubles up to the largest size and stays there.
        var sizes = new List<int>();
        for (var i = 0; i < 6; i++)
        {
            var target = input.ReadTarget().Length;
            sizes.Add(target);
            input.Advance(target);
            input.Consume(target);
            input.Release();
        }
        Assert.Equal(new[] { 4096, 8192, 16384, 32768, 65536, 65536 }, sizes);

        // Quiet again: each small read halves the next array, back to the smallest.
        var shrinking = new List<int>();
        for (var i = 0; i < 5; i++)
        {
            shrinking.Add(ReadOnce(input, 500));
        }
        Assert.Equal(new[] { 65536, 32768, 16384, 8192, 4096 }, shrinking);
        Assert.Equal(ReceiveBuffer.MinReadSize, input.ReadSize);
    }

    [Fact]
    public void PartialPacket_StaysBuffered_AcrossReadsIntoASmallArray()
    {
        var input = new ReceiveBuffer(1 << 20);
        var payload = Enumerable.Range(0, 10_000).Select(i => (byte)i).ToArray();
        var written = 0;
        while (written < payload.Length)
        {
            var target = input.ReadTarget();
            var n = Math.Min(target.Length, Math.Min(3000, payload.Length - written));
            payload.AsSpan(written, n).CopyTo(target.Span);
            input.Advance(n);
            written += n;
        }
        Assert.Equal(payload, System.Buffers.BuffersExtensions.ToArray(input.Data));
        input.Release();
        Assert.True(input.IsEmpty);
    }

    /// <summary>One burst as the read loop does it: rent, read <paramref name="bytes"/>, handle them all, release.</summary>
    private static int ReadOnce(ReceiveBuffer input, int bytes)
    {
        var length = input.ReadTarget().Length;
        input.Advance(bytes);
        input.Consume(bytes);
        input.Release();
        return length;
    }
}
