using EdgeHub.Mqtt.Broker;

namespace EdgeHub.Mqtt.Tests;

/// <summary>The broker connection's writer queue: many producers, one reader that waits; completion drains, then ends.</summary>
public sealed class OutboundQueueTests
{
    [Fact]
    public async Task ManyWriters_OneWaitingReader_ReceivesEveryItemInPerWriterOrder()
    {
        const int Writers = 4, PerWriter = 50_000;
        var queue = new OutboundQueue<long>();
        var last = new long[Writers];
        Array.Fill(last, -1);
        var read = 0;
        var reader = Task.Run(async () =>
        {
            while (await queue.WaitToReadAsync())
            {
                while (queue.TryRead(out var item))
                {
                    var writer = (int)(item >> 32);
                    var index = (int)item;
                    Assert.Equal(last[writer] + 1, index);
                    last[writer] = index;
                    read++;
                }
            }
        });
        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < PerWriter; i++)
            {
                Assert.True(queue.TryWrite(((long)w << 32) | (uint)i));
                if (i % 1000 == 0)
                {
                    await Task.Yield(); // let the reader drain and wait again, so wake-ups are exercised
                }
            }
        })).ToArray();
        await Task.WhenAll(writers).WithTimeout("writers");
        Assert.True(queue.TryComplete());
        await reader.WithTimeout("reader draining after completion");
        Assert.Equal(Writers * PerWriter, read);
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public async Task Complete_WakesWaitingReader_AndRefusesLaterWrites()
    {
        var queue = new OutboundQueue<int>();
        var wait = queue.WaitToReadAsync().AsTask();
        Assert.False(wait.IsCompleted);
        Assert.True(queue.TryComplete());
        Assert.False(queue.TryComplete());
        await wait.WithTimeout("wake-up on completion");
        Assert.False(await queue.WaitToReadAsync());
        Assert.False(queue.TryWrite(1));
    }

    [Fact]
    public async Task ItemsQueuedBeforeCompletion_AreStillRead()
    {
        var queue = new OutboundQueue<int>();
        for (var i = 0; i < 200; i++)
        {
            queue.TryWrite(i);
        }
        queue.TryComplete();
        var seen = new List<int>();
        while (await queue.WaitToReadAsync())
        {
            while (queue.TryRead(out var item))
            {
                seen.Add(item);
            }
        }
        Assert.Equal(Enumerable.Range(0, 200), seen);
    }

    [Fact]
    public void InterleavedWritesAndReads_KeepFifoOrder_AcrossTheLoneItemAndTheQueue()
    {
        var queue = new OutboundQueue<int>();
        var next = 0;
        var expected = 0;
        var random = new Random(7);
        for (var round = 0; round < 2_000; round++)
        {
            // Bursts of 0-3 writes, then 0-3 reads: the lone-item field and the array take turns holding the oldest item.
            for (var w = random.Next(4); w > 0; w--)
            {
                Assert.True(queue.TryWrite(next++));
            }
            for (var r = random.Next(4); r > 0; r--)
            {
                if (queue.TryRead(out var item))
                {
                    Assert.Equal(expected++, item);
                }
            }
            Assert.Equal(next - expected, queue.Count);
        }
        while (queue.TryRead(out var rest))
        {
            Assert.Equal(expected++, rest);
        }
        Assert.Equal(next, expected);
    }
}
