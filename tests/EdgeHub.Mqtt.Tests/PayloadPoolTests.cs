using System.Buffers.Binary;
using System.Collections.Concurrent;
using EdgeHub.Mqtt.Broker;
using EdgeHub.Mqtt.Packets;

namespace EdgeHub.Mqtt.Tests;

/// <summary>Pooled, reference-counted payloads: counting rules, and that relayed payloads are never overwritten in transit.</summary>
public sealed class PayloadPoolTests
{
    private static BrokerMessage Pooled(int size, byte fill)
    {
        var payload = new byte[size];
        Array.Fill(payload, fill);
        var message = BrokerMessage.From(new MqttPublishPacket { Topic = "t", Payload = payload }, "t", "c");
        return message;
    }

    [Fact]
    public void BrokerMessage_LastReleaseReturnsThePayload_EarlierOnesDoNot()
    {
        var m = Pooled(4096, 7);
        Assert.True(m.IsPooled);
        m.AddRef();
        m.AddRef();
        m.Release();
        m.Release();
        Assert.True(m.IsPooled);
        Assert.All(m.Payload.ToArray(), b => Assert.Equal(7, b));
        m.Release();
        Assert.False(m.IsPooled);
    }

    [Fact]
    public void BrokerMessage_ToUnpooled_SurvivesTheOriginalsRelease()
    {
        var m = Pooled(1000, 9);
        var copy = m.ToUnpooled();
        m.Release();
        var reused = Pooled(1000, 1); // likely the same array again
        Assert.False(copy.IsPooled);
        Assert.Equal(1000, copy.Payload.Length);
        Assert.All(copy.Payload.ToArray(), b => Assert.Equal(9, b));
        reused.Release();
    }

    [Fact]
    public void BrokerMessage_LargeOrEmptyPayloads_AreNotPooled()
    {
        Assert.False(Pooled(BrokerMessage.MaxPooledPayload + 1, 1).IsPooled);
        Assert.False(Pooled(0, 0).IsPooled);
        Assert.True(Pooled(BrokerMessage.MaxPooledPayload, 1).IsPooled);
    }

    [Fact]
    public void PayloadPool_RentsAtLeastTheLength_TrimGivesUnusedArraysBack()
    {
        var arrays = new List<byte[]>();
        for (var i = 0; i < 64; i++)
        {
            var a = PayloadPool.Rent(3000);
            Assert.True(a.Length >= 3000);
            arrays.Add(a);
        }
        foreach (var a in arrays)
        {
            PayloadPool.Return(a);
        }
        Assert.True(PayloadPool.FreeBytes >= 64 * 4096);
        // Nobody rents in between: repeated trims halve the unused arrays until none are left.
        for (var i = 0; i < 40; i++)
        {
            PayloadPool.Trim();
        }
        Assert.True(PayloadPool.FreeBytes < 64 * 4096, $"free bytes after trimming: {PayloadPool.FreeBytes}");
    }

    /// <summary>
    /// Many publishers, two subscribers (QoS 0 and QoS 1), 4 KB payloads each stamped with publisher and sequence:
    /// a payload array returned to the pool while still queued for a subscriber would show up as a wrong or
    /// duplicated stamp.
    /// </summary>
    [Theory]
    [InlineData(MqttQos.AtMostOnce)]
    [InlineData(MqttQos.AtLeastOnce)]
    public async Task Relay_ManyPublishersTwoSubscribers_EveryPayloadArrivesIntact(MqttQos qos)
    {
        const int Publishers = 4, PerPublisher = 1500, Size = 4096;
        await using var broker = await TestSupport.StartBrokerAsync();
        var received = new ConcurrentDictionary<string, ConcurrentBag<long>>();
        var corrupt = 0;
        var clients = new List<MqttClient>();
        try
        {
            foreach (var name in new[] { "relay-a", "relay-b" })
            {
                var sub = TestSupport.Client(broker.Port, name);
                var bag = received[name] = [];
                sub.MessageReceived = (m, _) =>
                {
                    var span = m.Payload.Span;
                    var stamp = BinaryPrimitives.ReadInt64LittleEndian(span);
                    // Every byte after the stamp repeats its low byte: an overwritten array breaks the pattern.
                    if (span.Length != Size || span[8..].ContainsAnyExcept((byte)stamp))
                    {
                        Interlocked.Increment(ref corrupt);
                    }
                    bag.Add(stamp);
                    return ValueTask.CompletedTask;
                };
                clients.Add(sub);
                await sub.ConnectAsync();
                await sub.SubscribeAsync("relay/#", qos);
            }
            var publishers = new List<Task>();
            for (var p = 0; p < Publishers; p++)
            {
                var pub = TestSupport.Client(broker.Port, "relay-pub" + p);
                clients.Add(pub);
                await pub.ConnectAsync();
                var index = p;
                publishers.Add(Task.Run(async () =>
                {
                    for (var i = 0; i < PerPublisher; i++)
                    {
                        var stamp = ((long)index << 32) | (uint)i;
                        var payload = new byte[Size];
                        BinaryPrimitives.WriteInt64LittleEndian(payload, stamp);
                        payload.AsSpan(8).Fill((byte)stamp);
                        await pub.PublishAsync("relay/" + index, payload, qos);
                    }
                }));
            }
            await Task.WhenAll(publishers).WithTimeout("publishers");
            var expected = Publishers * PerPublisher;
            if (qos == MqttQos.AtLeastOnce)
            {
                await TestSupport.WaitUntilAsync(() => received.Values.All(b => b.Count >= expected), "every QoS 1 message at both subscribers");
            }
            else
            {
                // QoS 0 may drop under pressure; wait for a marker sent after everything else.
                var marker = new byte[Size];
                marker.AsSpan().Fill(0xFF); // stamp -1, pattern 0xFF
                await clients[2].PublishAsync("relay/end", marker, MqttQos.AtMostOnce);
                await TestSupport.WaitUntilAsync(() => received.Values.All(b => b.Count > expected / 2), "most QoS 0 messages at both subscribers");
            }
            Assert.Equal(0, Volatile.Read(ref corrupt));
            foreach (var (name, bag) in received)
            {
                // One snapshot: QoS 0 messages may still be arriving, and comparing the bag's count with a later
                // enumeration of it reported a duplicate that was only a message added in between.
                var stamps = bag.ToArray();
                var twice = stamps.GroupBy(s => s).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
                Assert.True(twice.Count == 0, $"{name} received {twice.Count} payloads twice (a reused array), e.g. stamp {twice.FirstOrDefault()}");
            }
        }
        finally
        {
            foreach (var c in clients)
            {
                await c.DisposeAsync();
            }
        }
    }
}
