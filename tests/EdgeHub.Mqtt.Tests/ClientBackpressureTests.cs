using System.Collections.Concurrent;

namespace EdgeHub.Mqtt.Tests;

/// <summary>
/// The client's bounded incoming queue against our broker: a handler that falls behind a fast publisher makes the
/// client stop reading its socket (TCP back-pressure) instead of growing or dropping; everything arrives, in order.
/// </summary>
public sealed class ClientBackpressureTests
{
    [Theory]
    [InlineData(MqttProtocolVersion.V500, MqttQos.AtMostOnce)]
    [InlineData(MqttProtocolVersion.V311, MqttQos.AtMostOnce)]
    [InlineData(MqttProtocolVersion.V500, MqttQos.AtLeastOnce)]
    [InlineData(MqttProtocolVersion.V311, MqttQos.ExactlyOnce)]
    public async Task SlowHandler_FastPublisher_QueueStaysBounded_NothingLost_InOrder(MqttProtocolVersion version, MqttQos qos)
    {
        const int Count = 5000;
        const int Limit = 50;
        // The broker may queue everything for the subscriber (its own policy would drop QoS 0 beyond its limit).
        await using var broker = await TestSupport.StartBrokerAsync(o => o.MaxQueuedMessages = 100_000);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var received = new ConcurrentQueue<int>();
        var maxSeen = 0;
        long maxBytes = 0;
        await using var subscriber = TestSupport.Client(broker.Port, "bp-sub", version, o =>
        {
            o.MaxIncomingMessages = Limit;
            o.ReceiveMaximum = 1000; // the broker's window alone would allow 20 times the limit
        });
        subscriber.MessageReceived = async (m, ct) =>
        {
            maxSeen = Math.Max(maxSeen, subscriber.IncomingMessages);
            maxBytes = Math.Max(maxBytes, subscriber.IncomingBytes);
            await gate.Task.WaitAsync(ct);
            received.Enqueue(BitConverter.ToInt32(m.Payload.Span));
        };
        await subscriber.ConnectAsync();
        await subscriber.SubscribeAsync("bp/#", qos);

        await using var publisher = TestSupport.Client(broker.Port, "bp-pub");
        await publisher.ConnectAsync();
        var payload = new byte[1024];
        var publishes = new List<Task>(Count);
        for (var i = 0; i < Count; i++)
        {
            BitConverter.TryWriteBytes(payload, i);
            publishes.Add(publisher.PublishAsync("bp/m", payload.ToArray(), qos).AsTask());
            if (publishes.Count == 500)
            {
                // Within the broker's receive maximum: the publisher never waits for window slots.
                await Task.WhenAll(publishes).WithTimeout("the broker to accept publishes while the subscriber is stalled");
                publishes.Clear();
            }
        }
        await Task.WhenAll(publishes).WithTimeout("the broker to accept every publish while the subscriber is stalled");

        // The handler is stalled: the client holds at most the limit and has stopped reading.
        await TestSupport.WaitUntilAsync(() => subscriber.IncomingMessages == Limit && subscriber.IncomingPauses > 0, "the incoming queue to fill and reading to pause");
        Assert.Equal(Limit, subscriber.IncomingMessages);
        Assert.True(subscriber.IncomingBytes <= Limit * 1024, $"{subscriber.IncomingBytes} payload bytes held");
        Assert.True(subscriber.IsConnected);

        gate.SetResult();
        await TestSupport.WaitUntilAsync(() => received.Count == Count, $"all {Count} messages (got {received.Count})", TimeSpan.FromSeconds(60));
        Assert.Equal(Enumerable.Range(0, Count), received);
        Assert.True(maxSeen <= Limit, $"{maxSeen} messages were waiting for the handler (limit {Limit})");
        Assert.True(maxBytes <= Limit * 1024, $"{maxBytes} payload bytes were waiting for the handler");
        await TestSupport.WaitUntilAsync(() => subscriber.IncomingMessages == 0, "the queue to drain");
    }

    [Fact]
    public async Task ByteLimit_LargePayloads_PausesBeforeTheMessageCount()
    {
        await using var broker = await TestSupport.StartBrokerAsync();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var received = 0;
        await using var subscriber = TestSupport.Client(broker.Port, "bp-bytes", configure: o => o.MaxIncomingBytes = 256 * 1024);
        subscriber.MessageReceived = async (_, ct) =>
        {
            await gate.Task.WaitAsync(ct);
            Interlocked.Increment(ref received);
        };
        await subscriber.ConnectAsync();
        await subscriber.SubscribeAsync("big/#", MqttQos.AtLeastOnce);
        await using var publisher = TestSupport.Client(broker.Port, "bp-bytes-pub");
        await publisher.ConnectAsync();
        var sends = Enumerable.Range(0, 40).Select(_ => publisher.PublishAsync("big/m", new byte[64 * 1024], MqttQos.AtLeastOnce).AsTask()).ToList();
        await Task.WhenAll(sends).WithTimeout("the broker to accept the large messages");
        await TestSupport.WaitUntilAsync(() => subscriber.IncomingPauses > 0 && subscriber.IncomingBytes >= 256 * 1024, "the byte limit to pause reading");
        Assert.Equal(4, subscriber.IncomingMessages); // 4 × 64 KB reach the limit; the count limit (1000) is far away
        gate.SetResult();
        await TestSupport.WaitUntilAsync(() => Volatile.Read(ref received) == 40, "all 40 large messages");
    }

    [Fact]
    public async Task HandlerAwaitingItsOwnPublish_WhileQueueIsFull_DoesNotDeadlock()
    {
        // The handler's PUBACK sits in the socket behind PUBLISH packets the full queue would no longer read: reading
        // must go on while the handler waits for the broker.
        await using var broker = await TestSupport.StartBrokerAsync(o => o.MaxQueuedMessages = 100_000);
        await using var relay = TestSupport.Client(broker.Port, "bp-relay", configure: o => o.MaxIncomingMessages = 2);
        relay.MessageReceived = async (m, ct) => await relay.PublishAsync("out/m", m.Payload.ToArray(), MqttQos.AtLeastOnce, ct: ct);
        await relay.ConnectAsync();
        await relay.SubscribeAsync("in/#", MqttQos.AtMostOnce);
        var relayed = 0;
        await using var sink = TestSupport.Client(broker.Port, "bp-sink");
        sink.MessageReceived = (_, _) =>
        {
            Interlocked.Increment(ref relayed);
            return ValueTask.CompletedTask;
        };
        await sink.ConnectAsync();
        await sink.SubscribeAsync("out/#", MqttQos.AtLeastOnce);
        await using var source = TestSupport.Client(broker.Port, "bp-source");
        await source.ConnectAsync();
        for (var i = 0; i < 2000; i++)
        {
            await source.PublishAsync("in/m", BitConverter.GetBytes(i), MqttQos.AtMostOnce);
        }
        await TestSupport.WaitUntilAsync(() => Volatile.Read(ref relayed) == 2000, $"2000 relayed messages (got {Volatile.Read(ref relayed)})", TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task PausedLongerThanKeepAlive_ConnectionSurvives()
    {
        // While reading is paused the client hears nothing from the broker; that must not count as a dead connection
        // (keep alive 1 s: the client gives up after 2.5 s of silence), and its PINGREQs keep the broker satisfied.
        await using var broker = await TestSupport.StartBrokerAsync();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var received = 0;
        await using var subscriber = TestSupport.Client(broker.Port, "bp-ka", configure: o =>
        {
            o.KeepAliveSeconds = 1;
            o.MaxIncomingMessages = 1;
            o.AutoReconnect = false;
        });
        var disconnects = 0;
        subscriber.Disconnected += (_, _) => Interlocked.Increment(ref disconnects);
        subscriber.MessageReceived = async (_, ct) =>
        {
            await gate.Task.WaitAsync(ct);
            Interlocked.Increment(ref received);
        };
        await subscriber.ConnectAsync();
        await subscriber.SubscribeAsync("ka/#", MqttQos.AtLeastOnce);
        await using var publisher = TestSupport.Client(broker.Port, "bp-ka-pub");
        await publisher.ConnectAsync();
        for (var i = 0; i < 10; i++)
        {
            await publisher.PublishAsync("ka/m", new byte[16], MqttQos.AtLeastOnce);
        }
        await TestSupport.WaitUntilAsync(() => subscriber.IncomingPauses > 0, "reading to pause");
        var paused = System.Diagnostics.Stopwatch.StartNew();
        // The condition is the passage of time itself: twice the client's silence limit, still connected throughout.
        await TestSupport.WaitUntilAsync(() => !subscriber.IsConnected || paused.Elapsed > TimeSpan.FromSeconds(5), "5 s paused");
        Assert.True(subscriber.IsConnected, "the client dropped the connection while paused");
        gate.SetResult();
        await TestSupport.WaitUntilAsync(() => Volatile.Read(ref received) == 10, "the 10 messages after the pause");
        Assert.Equal(0, Volatile.Read(ref disconnects));
    }

    [Fact]
    public void Options_NonPositiveLimits_AreRefusedWithTheSettingName()
    {
        var messages = Assert.Throws<ArgumentOutOfRangeException>(() => new MqttClient(new MqttClientOptions { MaxIncomingMessages = 0 }));
        Assert.Contains("MaxIncomingMessages", messages.Message, StringComparison.Ordinal);
        var bytes = Assert.Throws<ArgumentOutOfRangeException>(() => new MqttClient(new MqttClientOptions { MaxIncomingBytes = 0 }));
        Assert.Contains("MaxIncomingBytes", bytes.Message, StringComparison.Ordinal);
    }
}
