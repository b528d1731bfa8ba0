namespace EdgeHub.Onnx.Tests;

public sealed class MicroBatcherTests
{
    private static readonly MlpWeights Weights = TestModels.RandomMlp(21, 32, 64, 32, 5);
    private static readonly byte[] Model = OnnxModelFactory.CreateMlpClassifier(Weights, TestModels.Metadata());

    [Fact]
    public async Task InferAsync_ManyConcurrentCallers_EachGetsOwnRowAndBatchesForm()
    {
        using var session = OnnxSession.FromBytes(Model);
        await using var batcher = new MicroBatcher(session, 32, new MicroBatcherOptions { MaxBatch = 32, MaxDelay = TimeSpan.FromMilliseconds(2) });
        const int callers = 400;
        var rows = TestModels.RandomRows(77, callers, Weights);
        var tasks = new Task<InferenceResult>[callers];
        for (var i = 0; i < callers; i++)
        {
            var memory = rows.AsMemory(i * 32, 32);
            tasks[i] = Task.Run(async () => await batcher.InferAsync(memory));
        }
        var results = await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(30));

        var expected = new float[5];
        for (var i = 0; i < callers; i++)
        {
            var label = MlpReference.Predict(Weights, rows.AsSpan(i * 32, 32), expected);
            Assert.Equal(label, results[i].Label);
            Assert.Equal(5, results[i].ClassCount);
            for (var c = 0; c < 5; c++)
            {
                Assert.True(Math.Abs(results[i].Probability(c) - expected[c]) <= 1e-5, $"caller {i} class {c}");
            }
            Assert.Equal(results[i].Probability(label), results[i].Confidence);
        }
        Assert.Equal(callers, batcher.Rows);
        Assert.Equal(callers, batcher.Latency.Count);
        Assert.True(batcher.Batches < callers, $"{batcher.Batches} runs for {callers} windows: nothing was batched");
        Assert.Contains(results, r => r.BatchSize > 1);
        Assert.True(batcher.Latency.Percentile(99) >= batcher.Latency.Percentile(50));
    }

    [Fact]
    public async Task InferAsync_MaxDelayLetsBatchFill_SequentialBurstRunsAsOneBatch()
    {
        using var session = OnnxSession.FromBytes(Model);
        await using var batcher = new MicroBatcher(session, 32, new MicroBatcherOptions { MaxBatch = 8, MaxDelay = TimeSpan.FromSeconds(5) });
        var rows = TestModels.RandomRows(5, 8, Weights);
        var pending = new List<Task<InferenceResult>>();
        for (var i = 0; i < 8; i++)
        {
            pending.Add(batcher.InferAsync(rows.AsMemory(i * 32, 32)).AsTask());
        }
        foreach (var p in pending)
        {
            Assert.Equal(8, (await p.WaitAsync(TimeSpan.FromSeconds(30))).BatchSize);
        }
        Assert.Equal(1, batcher.Batches);
    }

    [Fact]
    public async Task InferAsync_ZeroDelay_RunsSingleWindowImmediately()
    {
        using var session = OnnxSession.FromBytes(Model);
        await using var batcher = new MicroBatcher(session, 32, new MicroBatcherOptions { MaxBatch = 64, MaxDelay = TimeSpan.Zero });
        var result = await batcher.InferAsync(TestModels.RandomRows(1, 1, Weights)).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, result.BatchSize);
        Assert.True(result.Latency > TimeSpan.Zero);
    }

    [Fact]
    public async Task InferAsync_WrongWindowLength_NamesExpectedShape()
    {
        using var session = OnnxSession.FromBytes(Model);
        await using var batcher = new MicroBatcher(session, 32, new MicroBatcherOptions());
        var ex = Assert.Throws<ArgumentException>(() => { _ = batcher.InferAsync(new float[30]).AsTask(); });
        Assert.Contains("[N, 32]", ex.Message, StringComparison.Ordinal);
        Assert.Contains("got 30 floats", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_FeatureCountMismatch_NamesModelShape()
    {
        using var session = OnnxSession.FromBytes(Model);
        var ex = Assert.Throws<ArgumentException>(() => new MicroBatcher(session, 30, new MicroBatcherOptions()));
        Assert.Contains("features: float [N, 32]", ex.Message, StringComparison.Ordinal);
        Assert.Contains("30", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InferAsync_QueueFull_CallerWaitsThenCompletes()
    {
        using var session = OnnxSession.FromBytes(Model);
        // Capacity 2 with a long MaxDelay and MaxBatch 64: the loop takes both, then waits for more while the queue refills.
        await using var batcher = new MicroBatcher(session, 32, new MicroBatcherOptions { MaxBatch = 64, QueueCapacity = 2, MaxDelay = TimeSpan.FromMilliseconds(200) });
        var rows = TestModels.RandomRows(9, 40, Weights);
        var tasks = new List<Task<InferenceResult>>();
        for (var i = 0; i < 40; i++)
        {
            tasks.Add(batcher.InferAsync(rows.AsMemory(i * 32, 32)).AsTask());
        }
        Assert.Contains(tasks, t => !t.IsCompleted);
        Assert.True(batcher.QueueDepth <= 2);
        var results = await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(30));
        var expected = new float[5];
        for (var i = 0; i < 40; i++)
        {
            Assert.Equal(MlpReference.Predict(Weights, rows.AsSpan(i * 32, 32), expected), results[i].Label);
        }
    }

    [Fact]
    public async Task InferAsync_AlreadyCancelled_ThrowsAndBatcherKeepsWorking()
    {
        using var session = OnnxSession.FromBytes(Model);
        await using var batcher = new MicroBatcher(session, 32, new MicroBatcherOptions { MaxBatch = 1, QueueCapacity = 1, MaxDelay = TimeSpan.Zero });
        var row = TestModels.RandomRows(3, 1, Weights);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await batcher.InferAsync(row, cts.Token));
        Assert.Equal(Weights.ClassCount, (await batcher.InferAsync(row)).ClassCount);
    }

    [Fact]
    public async Task InferAsync_BlockedConsumer_QueueFullCallerWaitsAndCanCancel()
    {
        using var session = OnnxSession.FromBytes(Model);
        // Inline continuations let the first caller hold the batching loop, so the queue (capacity 1) fills deterministically.
        await using var batcher = new MicroBatcher(session, 32, new MicroBatcherOptions { MaxBatch = 1, QueueCapacity = 1, MaxDelay = TimeSpan.Zero, RunContinuationsInline = true });
        var row = TestModels.RandomRows(3, 1, Weights);
        using var holding = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var holder = Task.Run(async () =>
        {
            await batcher.InferAsync(row);
            holding.Set();
            release.Wait(TimeSpan.FromSeconds(30));
        });
        Assert.True(holding.Wait(TimeSpan.FromSeconds(30)), "first window never completed");
        var queued = batcher.InferAsync(row).AsTask();   // fills the queue
        using var cts = new CancellationTokenSource();
        var waiting = batcher.InferAsync(row, cts.Token).AsTask();
        Assert.False(waiting.IsCompleted);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(30)));
        release.Set();
        await holder.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(5, (await queued.WaitAsync(TimeSpan.FromSeconds(30))).ClassCount);
    }

    [Fact]
    public async Task InferAsync_CancelledWhileQueued_GetsOperationCanceledWhenBatchCompletes()
    {
        using var session = OnnxSession.FromBytes(Model);
        await using var batcher = new MicroBatcher(session, 32, new MicroBatcherOptions { MaxBatch = 4, QueueCapacity = 8, MaxDelay = TimeSpan.Zero, RunContinuationsInline = true });
        var row = TestModels.RandomRows(3, 1, Weights);
        using var holding = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var holder = Task.Run(async () =>
        {
            await batcher.InferAsync(row);
            holding.Set();
            release.Wait(TimeSpan.FromSeconds(30));
        });
        Assert.True(holding.Wait(TimeSpan.FromSeconds(30)), "first window never completed");
        using var cts = new CancellationTokenSource();
        var cancelled = batcher.InferAsync(row, cts.Token).AsTask();
        var kept = batcher.InferAsync(row).AsTask();
        cts.Cancel();
        release.Set();
        await holder.WaitAsync(TimeSpan.FromSeconds(30));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(5, (await kept.WaitAsync(TimeSpan.FromSeconds(30))).ClassCount);
    }

    [Fact]
    public async Task DisposeAsync_WhileCallersSubmit_EveryCallEndsWithResultOrObjectDisposed()
    {
        using var session = OnnxSession.FromBytes(Model);
        var batcher = new MicroBatcher(session, 32, new MicroBatcherOptions { MaxBatch = 16, QueueCapacity = 8, MaxDelay = TimeSpan.Zero });
        var row = TestModels.RandomRows(8, 1, Weights);
        long results = 0, disposed = 0;
        using var started = new CountdownEvent(8);
        var callers = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            started.Signal();
            while (true)
            {
                try
                {
                    await batcher.InferAsync(row);
                    Interlocked.Increment(ref results);
                }
                catch (ObjectDisposedException)
                {
                    Interlocked.Increment(ref disposed);
                    return;
                }
            }
        })).ToArray();
        Assert.True(started.Wait(TimeSpan.FromSeconds(30)));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Interlocked.Read(ref results) < 200 && DateTime.UtcNow < deadline)
        {
            await Task.Yield();
        }
        await batcher.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        await Task.WhenAll(callers).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(Interlocked.Read(ref results) >= 200);
        Assert.Equal(8, Interlocked.Read(ref disposed));
    }

    [Fact]
    public async Task DisposeAsync_RunsQueuedWindows_ThenRejectsNewOnes()
    {
        using var session = OnnxSession.FromBytes(Model);
        var batcher = new MicroBatcher(session, 32, new MicroBatcherOptions { MaxBatch = 4, MaxDelay = TimeSpan.FromSeconds(10) });
        var rows = TestModels.RandomRows(4, 3, Weights);
        var pending = new[]
        {
            batcher.InferAsync(rows.AsMemory(0, 32)).AsTask(),
            batcher.InferAsync(rows.AsMemory(32, 32)).AsTask(),
            batcher.InferAsync(rows.AsMemory(64, 32)).AsTask(),
        };
        await batcher.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.All(await Task.WhenAll(pending), r => Assert.Equal(5, r.ClassCount));
        Assert.Throws<ObjectDisposedException>(() => { _ = batcher.InferAsync(rows.AsMemory(0, 32)).AsTask(); });
        await batcher.DisposeAsync();
    }
}

[Collection(NonParallelCollection.Name)]
public sealed class MicroBatcherAllocationTests
{
    private static readonly MlpWeights Weights = TestModels.RandomMlp(21, 32, 64, 32, 5);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task InferAsync_SequentialSteadyState_AllocatesLittlePerWindow(bool inlineContinuations)
    {
        using var session = OnnxSession.FromBytes(OnnxModelFactory.CreateMlpClassifier(Weights, TestModels.Metadata()));
        await using var batcher = new MicroBatcher(session, 32, new MicroBatcherOptions { MaxBatch = 64, MaxDelay = TimeSpan.Zero, RunContinuationsInline = inlineContinuations });
        var row = TestModels.RandomRows(6, 1, Weights).AsMemory();
        for (var i = 0; i < 200; i++)
        {
            await batcher.InferAsync(row);
        }
        // Whole-process count: thread-pool thread injection on a loaded machine allocates now and then, so the quietest of
        // several rounds is what says whether the batcher's own path allocates per window.
        const int windows = 1000;
        var perWindow = double.MaxValue;
        for (var round = 0; round < 5; round++)
        {
            var before = GC.GetTotalAllocatedBytes(precise: true);
            for (var i = 0; i < windows; i++)
            {
                await batcher.InferAsync(row);
            }
            perWindow = Math.Min(perWindow, (GC.GetTotalAllocatedBytes(precise: true) - before) / (double)windows);
        }
        Assert.True(perWindow < 8, $"{perWindow:F1} bytes allocated per window in the quietest round");
    }
}
