using EdgeHub.Mqtt.Broker;

namespace EdgeHub.Mqtt.Tests;

/// <summary>The append-only journal: replay, torn tails, runtime compaction.</summary>
public sealed class BrokerStoreTests
{
    private static BrokerSession.Queued Message(long sequence, int size = 100) =>
        new(new BrokerMessage { Topic = "s/" + sequence, Payload = new byte[size] }, MqttQos.AtLeastOnce, false, null, sequence);

    [Fact]
    public void Journal_EnqueuedThenDone_ReplaysOnlyWhatIsStillOwed()
    {
        var dir = TestSupport.TempDir();
        using (var store = new BrokerStore(dir))
        {
            store.Compact([], []);
            store.Session("c1", 60, null, [new MqttSubscription("s/#", MqttQos.AtLeastOnce)]);
            for (var i = 1; i <= 10; i++)
            {
                store.Enqueued("c1", Message(i));
            }
            for (var i = 1; i <= 10; i += 2)
            {
                store.Done("c1", i);
            }
        }
        using var reopened = new BrokerStore(dir);
        var (_, sessions) = reopened.Load();
        var session = Assert.Single(sessions.Values);
        Assert.Equal([2L, 4, 6, 8, 10], session.Queue.Keys);
        Assert.Equal("s/4", session.Queue[4].Message.Topic);
        Assert.Equal("s/#", Assert.Single(session.Subscriptions).TopicFilter);
    }

    [Fact]
    public void Journal_TornTailRecord_IsIgnored()
    {
        var dir = TestSupport.TempDir();
        using (var store = new BrokerStore(dir))
        {
            store.Compact([], []);
            store.Session("c1", 60, null, []);
            store.Enqueued("c1", Message(1));
            store.Enqueued("c1", Message(2));
        }
        var path = Path.Combine(dir, "sessions.log");
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^7]); // a crash in the middle of the last append
        using var reopened = new BrokerStore(dir);
        Assert.Equal([1L], Assert.Single(reopened.Load().Sessions.Values).Queue.Keys);
    }

    [Fact]
    public void Journal_GrowsPastThreshold_CompactsAtRuntimeAndKeepsTheLiveState()
    {
        var dir = TestSupport.TempDir();
        using (var store = new BrokerStore(dir, compactThreshold: 256 * 1024))
        {
            store.Compact([], []);
            store.Session("c1", 60, "alice", []);
            // A steady stream delivered promptly: 20 MB appended, only a handful ever owed at once.
            for (var i = 1; i <= 5000; i++)
            {
                store.Enqueued("c1", Message(i, 4096));
                if (i > 3)
                {
                    store.Done("c1", i - 3);
                }
            }
            Assert.True(store.Compactions > 10, $"only {store.Compactions} compactions");
            Assert.True(new FileInfo(Path.Combine(dir, "sessions.log")).Length < 2 * 256 * 1024);
        }
        using var reopened = new BrokerStore(dir);
        var session = Assert.Single(reopened.Load().Sessions.Values);
        Assert.Equal("alice", session.Username);
        Assert.Equal([4998L, 4999, 5000], session.Queue.Keys);
    }

    [Fact]
    public async Task Restart_WithLowerQueueLimit_DropsTheNewestOnce_AndTheyStayDropped()
    {
        var dir = TestSupport.TempDir();
        async Task<MqttBroker> Start(int limit) => await TestSupport.StartBrokerAsync(o => { o.PersistenceDirectory = dir; o.MaxQueuedMessages = limit; });
        MqttClient Sub(int port) => TestSupport.Client(port, "limited", configure: o => { o.CleanStart = false; o.SessionExpiryInterval = 600; o.AutoReconnect = false; });
        await using (var broker = await Start(100))
        {
            await using (var sub = Sub(broker.Port))
            {
                await sub.ConnectAsync();
                await sub.SubscribeAsync("q/#", MqttQos.AtLeastOnce);
                await sub.DisconnectAsync();
            }
            await using var pub = TestSupport.Client(broker.Port, "limited-pub");
            await pub.ConnectAsync();
            for (var i = 0; i < 10; i++)
            {
                await pub.PublishAsync("q/" + i, new byte[] { (byte)i }, MqttQos.AtLeastOnce);
            }
        }
        await using (var lowered = await Start(4))
        {
            Assert.Equal(1, lowered.SessionCount);
        }
        await using (var raised = await Start(100))
        {
            var got = new System.Collections.Concurrent.ConcurrentQueue<string>();
            await using var sub = Sub(raised.Port);
            sub.MessageReceived = (m, _) => { got.Enqueue(m.Topic); return ValueTask.CompletedTask; };
            await sub.ConnectAsync();
            await TestSupport.WaitUntilAsync(() => got.Count >= 4, "the four oldest queued messages");
            await sub.SubscribeAsync("marker", MqttQos.AtLeastOnce);
            await sub.PublishAsync("marker", new byte[] { 1 }, MqttQos.AtLeastOnce);
            await TestSupport.WaitUntilAsync(() => got.Contains("marker"), "the marker after the restored queue");
            Assert.Equal(["q/0", "q/1", "q/2", "q/3", "marker"], got);
        }
    }

    [Fact]
    public void Journal_Qos2Identifiers_SurviveReplayAndRuntimeCompaction()
    {
        var dir = TestSupport.TempDir();
        var session = new BrokerSession("c1", 100, 100);
        using (var store = new BrokerStore(dir, compactThreshold: 64 * 1024))
        {
            ISessionJournal journal = store;
            store.Compact([], []);
            store.Session("c1", 60, null, []);
            store.Enqueued("c1", Message(1)); // sent as 7, PUBREC received: only PUBREL 7 owed
            journal.Sent(session, 1, 7);
            journal.Released(session, 1, 7);
            store.Enqueued("c1", Message(2)); // sent as 8, no PUBREC yet: PUBLISH 8 (DUP) owed
            journal.Sent(session, 2, 8);
            store.Enqueued("c1", Message(3)); // sent as 9 and completed
            journal.Sent(session, 3, 9);
            journal.Released(session, 3, 9);
            store.Done("c1", 3);
            journal.IncomingQos2(session, 40, owned: true);
            journal.IncomingQos2(session, 41, owned: true);
            journal.IncomingQos2(session, 40, owned: false);
            // Churn until the log compacts several times: the live QoS 2 state must be rewritten each time.
            for (var i = 10; i < 400; i++)
            {
                store.Enqueued("c1", Message(i, 1024));
                store.Done("c1", i);
            }
            Assert.True(store.Compactions >= 2, $"only {store.Compactions} compactions");
        }
        using var reopened = new BrokerStore(dir);
        var record = Assert.Single(reopened.Load().Sessions.Values);
        Assert.Equal([2L], record.Queue.Keys);
        Assert.Equal((ushort)8, Assert.Single(record.Sent).Value);
        Assert.Equal(new KeyValuePair<long, ushort>(1, 7), Assert.Single(record.Released));
        Assert.Equal((ushort)41, Assert.Single(record.IncomingQos2));
    }

    [Theory]
    [InlineData(MqttFsyncMode.Never, false, false)]
    [InlineData(MqttFsyncMode.Interval, false, true)]
    [InlineData(MqttFsyncMode.Batch, true, true)]
    public void Flush_FsyncMode_DecidesWhenRecordsAreForcedToDisk(MqttFsyncMode mode, bool syncOnBatch, bool syncPeriodically)
    {
        var dir = TestSupport.TempDir();
        using var store = new BrokerStore(dir, fsync: mode);
        store.Compact([], []);
        store.Session("c1", 60, null, []);
        store.Enqueued("c1", Message(1));
        store.Flush();
        Assert.Equal(syncOnBatch ? 1 : 0, store.Fsyncs);
        store.Flush(); // nothing new: no second fsync
        Assert.Equal(syncOnBatch ? 1 : 0, store.Fsyncs);
        store.Enqueued("c1", Message(2));
        store.FlushPeriodic();
        Assert.Equal((syncOnBatch ? 1 : 0) + (syncPeriodically ? 1 : 0), store.Fsyncs);
        // Whatever the mode, flushed records are in the file (a killed process loses nothing).
        using var reopened = new BrokerStore(dir);
        Assert.Equal([1L, 2], Assert.Single(reopened.Load().Sessions.Values).Queue.Keys);
    }
}
