using System.Collections.Concurrent;
using System.Text;
using EdgeHub.Mqtt.Packets;
using EdgeHub.Mqtt.Protocol;
using EdgeHub.Testing;

namespace EdgeHub.Mqtt.Tests;

/// <summary>In-process subscribers of the embedded broker (MqttBroker.SubscribeLocal), driven by real network publishers.</summary>
public sealed class LocalSubscriptionTests
{
    private static MqttPublishPacket Publish(string topic, string payload, MqttQos qos = MqttQos.AtLeastOnce, ushort id = 1) => new()
    {
        Topic = topic,
        Payload = Encoding.UTF8.GetBytes(payload),
        Qos = qos,
        PacketId = qos == MqttQos.AtMostOnce ? (ushort)0 : id,
    };

    private static async Task<MqttPubAckPacket> ReadPubAckAsync(RawConnection raw) =>
        Assert.IsType<MqttPubAckPacket>(await raw.ReadAsync());

    [Fact]
    public async Task Wildcards_MatchLikeNetworkSubscriptions_PayloadAndTopicSeen()
    {
        await using var broker = await TestSupport.StartBrokerAsync();
        var plus = new ConcurrentQueue<string>();
        var hash = new ConcurrentQueue<string>();
        using var a = broker.SubscribeLocal("ehub/+/telemetry", MqttQos.AtLeastOnce, (m, _) =>
        {
            plus.Enqueue(m.Topic + "=" + Encoding.UTF8.GetString(m.Payload.Span));
            return ValueTask.CompletedTask;
        });
        using var b = broker.SubscribeLocal("#", MqttQos.AtMostOnce, (m, _) =>
        {
            hash.Enqueue(m.Topic);
            return ValueTask.CompletedTask;
        });
        Assert.Equal(2, broker.LocalSubscriptionCount);
        await using var raw = await RawConnection.ConnectAsync(broker.Port, "dev");
        await raw.SendAsync(Publish("ehub/d1/telemetry", "one", id: 1));
        await raw.SendAsync(Publish("ehub/d1/feedback", "two", id: 2));
        await raw.SendAsync(Publish("$SYS/x", "three", id: 3));
        for (var i = 0; i < 3; i++)
        {
            await ReadPubAckAsync(raw);
        }

        Assert.Equal(["ehub/d1/telemetry=one"], plus.ToArray());
        // '#' does not match topics starting with '$' [MQTT-4.7.2-1].
        Assert.Equal(["ehub/d1/telemetry", "ehub/d1/feedback"], hash.ToArray());
    }

    [Fact]
    public async Task Qos1_PubAckWaitsForHandler_AndKeepsArrivalOrder()
    {
        await using var broker = await TestSupport.StartBrokerAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var seen = new ConcurrentQueue<string>();
        using var slow = broker.SubscribeLocal("slow", MqttQos.AtLeastOnce, (m, _) =>
        {
            seen.Enqueue(m.Topic);
            return new ValueTask(release.Task);
        });
        using var fast = broker.SubscribeLocal("fast", MqttQos.AtLeastOnce, (m, _) =>
        {
            seen.Enqueue(m.Topic);
            return ValueTask.CompletedTask;
        });
        await using var raw = await RawConnection.ConnectAsync(broker.Port, "dev");
        await raw.SendAsync(Publish("slow", "x", id: 7));
        await raw.SendAsync(Publish("fast", "y", id: 8));
        await TestSupport.WaitUntilAsync(() => seen.Count == 2, "both handlers called");

        // Neither acknowledgement may go out while the first message is not accepted (PUBACKs in PUBLISH order, MQTT-4.6.0-2).
        Assert.Null(await raw.ReadAsync(TimeSpan.FromMilliseconds(300)).ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : null));
        release.SetResult();
        var first = await ReadPubAckAsync(raw);
        var second = await ReadPubAckAsync(raw);
        Assert.Equal((ushort)7, first.PacketId);
        Assert.Equal(MqttReasonCode.Success, first.ReasonCode);
        Assert.Equal((ushort)8, second.PacketId);
    }

    [Fact]
    public async Task PendingAcknowledgements_AboveReceiveMaximum_DisconnectWith0x93()
    {
        await using var broker = await TestSupport.StartBrokerAsync(o => o.MaxInflightMessages = 2);
        var never = new TaskCompletionSource();
        using var sub = broker.SubscribeLocal("t", MqttQos.AtLeastOnce, (_, _) => new ValueTask(never.Task));
        await using var raw = await RawConnection.ConnectAsync(broker.Port, "flooder");
        for (ushort i = 1; i <= 3; i++)
        {
            await raw.SendAsync(Publish("t", "x", id: i));
        }

        var disconnect = Assert.IsType<MqttDisconnectPacket>(await raw.ReadAsync());
        Assert.Equal(MqttReasonCode.ReceiveMaximumExceeded, disconnect.ReasonCode);
        never.SetResult();
    }

    [Fact]
    public async Task Qos0Subscriber_DoesNotHoldThePubAck()
    {
        await using var broker = await TestSupport.StartBrokerAsync();
        var never = new TaskCompletionSource();
        using var sub = broker.SubscribeLocal("t", MqttQos.AtMostOnce, (_, _) => new ValueTask(never.Task));
        await using var raw = await RawConnection.ConnectAsync(broker.Port, "dev");
        await raw.SendAsync(Publish("t", "x", id: 3));
        var ack = await ReadPubAckAsync(raw);
        Assert.Equal((ushort)3, ack.PacketId);
        never.SetResult();
    }

    [Fact]
    public async Task Unsubscribe_StopsDelivery_AndV5PublisherSeesNoSubscribers()
    {
        await using var broker = await TestSupport.StartBrokerAsync();
        var calls = 0;
        var sub = broker.SubscribeLocal("t/#", MqttQos.AtLeastOnce, (_, _) =>
        {
            Interlocked.Increment(ref calls);
            return ValueTask.CompletedTask;
        });
        await using var raw = await RawConnection.ConnectAsync(broker.Port, "dev");
        await raw.SendAsync(Publish("t/1", "x", id: 1));
        Assert.Equal(MqttReasonCode.Success, (await ReadPubAckAsync(raw)).ReasonCode);
        sub.Dispose();
        sub.Dispose(); // idempotent
        Assert.Equal(0, broker.LocalSubscriptionCount);
        await raw.SendAsync(Publish("t/2", "x", id: 2));
        Assert.Equal(MqttReasonCode.NoMatchingSubscribers, (await ReadPubAckAsync(raw)).ReasonCode);
        Assert.Equal(1, Volatile.Read(ref calls));
    }

    [Fact]
    public async Task ThrowingHandler_IsLogged_PublisherGetsError_BrokerAndConnectionStayUp()
    {
        using var logs = new LogCapture();
        using var factory = logs.Factory();
        await using var broker = new MqttBroker(new MqttBrokerOptions { Port = 0 }, factory);
        await broker.StartAsync();
        var good = 0;
        using var bad = broker.SubscribeLocal("bad", MqttQos.AtLeastOnce, (_, _) => throw new InvalidOperationException("handler exploded"));
        using var badAsync = broker.SubscribeLocal("bad-async", MqttQos.AtLeastOnce, async (_, _) =>
        {
            await Task.Yield();
            throw new InvalidOperationException("async handler exploded");
        });
        using var ok = broker.SubscribeLocal("good", MqttQos.AtLeastOnce, (_, _) =>
        {
            Interlocked.Increment(ref good);
            return ValueTask.CompletedTask;
        });
        await using var raw = await RawConnection.ConnectAsync(broker.Port, "dev");
        await raw.SendAsync(Publish("bad", "x", id: 1));
        await raw.SendAsync(Publish("bad-async", "x", id: 2));
        await raw.SendAsync(Publish("good", "x", id: 3));
        var acks = new[] { await ReadPubAckAsync(raw), await ReadPubAckAsync(raw), await ReadPubAckAsync(raw) };
        Assert.Equal([1, 2, 3], acks.Select(a => (int)a.PacketId));
        Assert.Equal(MqttReasonCode.ImplementationSpecificError, acks[0].ReasonCode);
        Assert.Equal(MqttReasonCode.ImplementationSpecificError, acks[1].ReasonCode);
        Assert.Equal(MqttReasonCode.Success, acks[2].ReasonCode);
        Assert.Equal(1, Volatile.Read(ref good));
        Assert.True(logs.Contains("local subscriber to bad failed", "carries on"), string.Join("\n", logs.Lines));
        Assert.True(logs.Contains("local subscriber to bad-async failed"), string.Join("\n", logs.Lines));
        Assert.Equal(1, broker.ConnectionCount);
    }

    [Fact]
    public async Task SharedGroup_EachMessageToOneLocalMember()
    {
        await using var broker = await TestSupport.StartBrokerAsync();
        var counts = new int[2];
        using var m0 = broker.SubscribeLocal("$share/g/jobs/+", MqttQos.AtLeastOnce, (_, _) => { Interlocked.Increment(ref counts[0]); return ValueTask.CompletedTask; });
        using var m1 = broker.SubscribeLocal("$share/g/jobs/+", MqttQos.AtLeastOnce, (_, _) => { Interlocked.Increment(ref counts[1]); return ValueTask.CompletedTask; });
        await using var raw = await RawConnection.ConnectAsync(broker.Port, "dev");
        for (ushort i = 1; i <= 10; i++)
        {
            await raw.SendAsync(Publish("jobs/" + i, "x", id: i));
        }
        for (var i = 0; i < 10; i++)
        {
            await ReadPubAckAsync(raw);
        }
        Assert.Equal(10, counts[0] + counts[1]);
        Assert.True(counts[0] > 0 && counts[1] > 0, $"round robin over both members: {counts[0]}/{counts[1]}");
    }

    [Fact]
    public async Task NoLocal_SkipsInProcessPublishes_ButNotNetworkOnes()
    {
        await using var broker = await TestSupport.StartBrokerAsync();
        var senders = new ConcurrentQueue<string>();
        using var sub = broker.SubscribeLocal("t", MqttQos.AtLeastOnce, (m, _) =>
        {
            senders.Enqueue(m.SenderClientId ?? "(process)");
            return ValueTask.CompletedTask;
        }, noLocal: true);
        Assert.Equal(0, broker.Publish(new MqttApplicationMessage { Topic = "t", Payload = new byte[] { 1 } }));
        await using var raw = await RawConnection.ConnectAsync(broker.Port, "dev");
        await raw.SendAsync(Publish("t", "x"));
        await ReadPubAckAsync(raw);
        Assert.Equal(["dev"], senders.ToArray());
    }

    [Fact]
    public async Task TakenReference_KeepsPayloadAfterHandlerReturns_AndGivesItBack()
    {
        await using var broker = await TestSupport.StartBrokerAsync();
        var kept = new ConcurrentQueue<LocalPayloadReference>();
        using var sub = broker.SubscribeLocal("t", MqttQos.AtLeastOnce, (m, _) =>
        {
            kept.Enqueue(m.TakeReference());
            return ValueTask.CompletedTask;
        });
        await using var raw = await RawConnection.ConnectAsync(broker.Port, "dev");
        for (ushort i = 1; i <= 20; i++)
        {
            await raw.SendAsync(Publish("t", "payload-" + i, id: i));
        }
        for (var i = 0; i < 20; i++)
        {
            await ReadPubAckAsync(raw);
        }
        var n = 1;
        foreach (var r in kept)
        {
            // Pooled arrays of released messages would have been reused by later payloads: each one is still its own.
            Assert.Equal("payload-" + n++, Encoding.UTF8.GetString(r.Payload.Span));
            r.Dispose();
        }
    }

    [Fact]
    public async Task PublishFromBuffer_ReachesNetworkAndLocalSubscribers_CallerMayReuseItsBufferAtOnce()
    {
        await using var broker = await TestSupport.StartBrokerAsync();
        var local = new ConcurrentQueue<LocalPayloadReference>();
        using var sub = broker.SubscribeLocal("fb/+", MqttQos.AtMostOnce, (m, _) =>
        {
            local.Enqueue(m.TakeReference());
            return ValueTask.CompletedTask;
        });
        await using var raw = await RawConnection.ConnectAsync(broker.Port, "device");
        await raw.SendAsync(new MqttSubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription("fb/#", MqttQos.AtMostOnce)] });
        Assert.IsType<MqttSubAckPacket>(await raw.ReadAsync());

        var buffer = Encoding.UTF8.GetBytes("first");
        Assert.Equal(2, broker.Publish("fb/1", buffer, MqttQos.AtMostOnce, "application/json"));
        Encoding.UTF8.GetBytes("xxxxx").CopyTo(buffer, 0); // reused by the caller right after the call
        var received = Assert.IsType<MqttPublishPacket>(await raw.ReadAsync());
        Assert.Equal("fb/1", received.Topic);
        Assert.Equal("first", Encoding.UTF8.GetString(received.Payload.Span));
        Assert.Equal("application/json", received.ContentType);
        Assert.True(local.TryDequeue(out var kept));
        Assert.Equal("first", Encoding.UTF8.GetString(kept.Payload.Span));
        kept.Dispose();
        Assert.Throws<ArgumentException>(() => broker.Publish("fb/#", buffer, MqttQos.AtMostOnce));
    }

    [Fact]
    public async Task InvalidFilter_IsRefusedWithTheReason()
    {
        await using var broker = new MqttBroker(new MqttBrokerOptions { Port = 0 });
        var ex = Assert.Throws<ArgumentException>(() => broker.SubscribeLocal("a/#/b", MqttQos.AtLeastOnce, (_, _) => ValueTask.CompletedTask));
        Assert.Contains("not a valid topic filter", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReplayRetained_OnlyWhenAsked_FlaggedRetained_NeverToSharedSubscriptions()
    {
        await using var broker = await TestSupport.StartBrokerAsync();
        await using var raw = await RawConnection.ConnectAsync(broker.Port, "publisher");
        var retained = Publish("cfg/region/model", "v7", MqttQos.AtLeastOnce, id: 1);
        retained.Retain = true;
        await raw.SendAsync(retained);
        await ReadPubAckAsync(raw);

        var replayed = new ConcurrentQueue<string>();
        ValueTask Record(LocalMessage m, CancellationToken ct)
        {
            replayed.Enqueue($"{m.Topic}={Encoding.UTF8.GetString(m.Payload.Span)} retain={m.Retain} qos={(int)m.Qos}");
            return ValueTask.CompletedTask;
        }

        using (broker.SubscribeLocal("cfg/#", MqttQos.AtLeastOnce, Record))
        {
            Assert.Empty(replayed); // not asked for
        }
        using (broker.SubscribeLocal("$share/g/cfg/#", MqttQos.AtLeastOnce, Record, replayRetained: true))
        {
            Assert.Empty(replayed); // never for a shared subscription (§4.8.2), as for network sessions
        }
        using (broker.SubscribeLocal("cfg/+/model", MqttQos.AtMostOnce, Record, replayRetained: true))
        {
            // Replayed inline, before SubscribeLocal returned, at the subscription's QoS.
            Assert.Equal(["cfg/region/model=v7 retain=True qos=0"], replayed.ToArray());
            await raw.SendAsync(Publish("cfg/region/model", "v8", MqttQos.AtLeastOnce, id: 2));
            await ReadPubAckAsync(raw);
            Assert.Equal(["cfg/region/model=v7 retain=True qos=0", "cfg/region/model=v8 retain=False qos=0"], replayed.ToArray());
        }
    }
}
