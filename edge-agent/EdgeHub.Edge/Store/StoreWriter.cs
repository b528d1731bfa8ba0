using System.Diagnostics;
using System.Threading.Channels;
using EdgeHub.Parquet;
using Microsoft.Extensions.Logging;

namespace EdgeHub.Edge.Store;

/// <summary>
/// The single writer in front of <see cref="EdgeStore"/>: takes window records from the pipeline, commits them in batched
/// transactions, runs rare operations (alert assignment, labels) in order, seals deltas every N rows or T seconds, and
/// enforces the disk quota. The pipeline never waits on SQLite; if the writer falls behind by more than the queue
/// capacity, records are dropped and counted rather than stalling inference and feedback.
/// Records and operations share one queue, so an operation sees exactly the records queued before it (an alert's
/// assignment finds the windows that led to the raise; a cleared alert's label still reaches its last windows).
/// </summary>
public sealed class StoreWriter : IAsyncDisposable
{
    private const int BatchSize = 1024;
    private readonly EdgeStore _store;
    private readonly SealingOptions _sealing;
    private readonly long _quotaBytes;
    private readonly ILogger _logger;
    private readonly Channel<Item> _items;
    private readonly int _capacity;
    private int _queuedRecords;
    private readonly ParquetCompression _compression;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _lastSealTicks = Stopwatch.GetTimestamp();
    private long _lastQuotaTicks;
    private long _lastOverflowLogTicks;
    private long _overflow;
    private long _overflowLogged;
    private long _written;

    /// <summary>Starts the writer.</summary>
    public StoreWriter(EdgeStore store, SealingOptions sealing, double quotaMb, ILogger logger, int capacity = 65_536)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _sealing = sealing ?? throw new ArgumentNullException(nameof(sealing));
        _quotaBytes = (long)(quotaMb * 1024 * 1024);
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _compression = Enum.Parse<ParquetCompression>(sealing.Compression, ignoreCase: true);
        _capacity = capacity;
        _items = Channel.CreateUnbounded<Item>(new UnboundedChannelOptions { SingleReader = true });
        _loop = Task.Factory.StartNew(RunAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    /// <summary>Raised (on the writer thread) after a delta is sealed.</summary>
    public event Action<SealedDelta>? Sealed;

    /// <summary>Records refused because the writer was too far behind.</summary>
    public long Overflow => Interlocked.Read(ref _overflow);

    /// <summary>Window rows committed since start.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Records waiting for the writer.</summary>
    public int Queued => Volatile.Read(ref _queuedRecords);

    /// <summary>Queues a record (ownership passes to the writer, which returns it to the pool); counted in <see cref="Overflow"/> when the queue is full.</summary>
    public void Enqueue(WindowRecord record)
    {
        if (Interlocked.Increment(ref _queuedRecords) > _capacity || !_items.Writer.TryWrite(new Item(record, null)))
        {
            Interlocked.Decrement(ref _queuedRecords);
            Interlocked.Increment(ref _overflow);
            WindowRecordPool.Return(record);
        }
    }

    /// <summary>Queues an operation that runs on the writer thread after the records queued before it are committed.</summary>
    public void Post(Action<EdgeStore> op)
    {
        ArgumentNullException.ThrowIfNull(op);
        if (!_items.Writer.TryWrite(new Item(null, op)))
        {
            _logger.LogWarning("edge store operation dropped: the store writer has stopped");
        }
    }

    /// <summary>A queued window record or operation.</summary>
    private readonly record struct Item(WindowRecord? Record, Action<EdgeStore>? Op);

    /// <summary>Seals everything pending now (shutdown, tests).</summary>
    public Task FlushAsync()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(_ =>
        {
            try
            {
                SealWhileDue(force: true);
                done.TrySetResult();
            }
            catch (Exception ex)
            {
                done.TrySetException(ex);
            }
        });
        return done.Task;
    }

    private async Task RunAsync()
    {
        var batch = new WindowRecord[BatchSize];
        var ids = new long[BatchSize];
        var ct = _stop.Token;
        while (true)
        {
            try
            {
                if (!ct.IsCancellationRequested)
                {
                    using var timer = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    timer.CancelAfter(TimeSpan.FromMilliseconds(200));
                    try
                    {
                        await _items.Reader.WaitToReadAsync(timer.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        // Periodic wake-up (time-based sealing, operations, quota, overflow report) or stop. Either way the
                        // drain and the exit check below must run: rethrowing here once stopping made dispose spin forever.
                    }
                }

                // In queue order: records gather into batches; an operation first commits the batch before it.
                var n = 0;
                var taken = 0;
                while (taken < 4 * BatchSize && _items.Reader.TryRead(out var item))
                {
                    taken++;
                    if (item.Record is { } record)
                    {
                        batch[n++] = record;
                        if (n == BatchSize)
                        {
                            Commit(batch, ids, n);
                            n = 0;
                        }
                    }
                    else
                    {
                        if (n > 0)
                        {
                            Commit(batch, ids, n);
                            n = 0;
                        }

                        RunOp(item.Op!);
                    }
                }

                if (n > 0)
                {
                    Commit(batch, ids, n);
                }

                SealWhileDue(force: false);
                EnforceQuotaIfDue();
                ReportOverflow();
                // Disposal completes the queue before stopping: Completion is done once every queued item was read.
                if (ct.IsCancellationRequested && _items.Reader.Completion.IsCompleted)
                {
                    return;
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // drain on the next turn
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                _logger.LogError(ex, "edge store write failed: {Message}; retrying in 1 s (check disk space and permissions of {Path})", ex.Message, _store.Path);
                await Task.Delay(1000, CancellationToken.None);
            }
        }
    }

    private void Commit(WindowRecord[] batch, long[] ids, int n)
    {
        try
        {
            _store.InsertWindows(batch.AsSpan(0, n), ids);
            Interlocked.Add(ref _written, n);
            for (var i = 0; i < n; i++)
            {
                batch[i].Log?.Add(batch[i].WindowEndMicros, ids[i]);
            }
        }
        finally
        {
            Interlocked.Add(ref _queuedRecords, -n);
            for (var i = 0; i < n; i++)
            {
                WindowRecordPool.Return(batch[i]);
                batch[i] = null!;
            }
        }
    }

    private void RunOp(Action<EdgeStore> op)
    {
        try
        {
            op(_store);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _logger.LogError(ex, "edge store operation failed: {Message}", ex.Message);
        }
    }

    private void SealWhileDue(bool force)
    {
        while (true)
        {
            var pending = _store.PendingRows;
            var age = Stopwatch.GetElapsedTime(_lastSealTicks).TotalSeconds;
            if (pending == 0 || (!force && pending < _sealing.MaxRows && age < _sealing.MaxSeconds))
            {
                return;
            }

            var sealedDelta = _store.TrySeal(_sealing.MaxRows, _compression, _sealing.MaxUnackedDeltas);
            _lastSealTicks = Stopwatch.GetTimestamp();
            if (sealedDelta is null)
            {
                return;
            }

            Sealed?.Invoke(sealedDelta);
        }
    }

    private void ReportOverflow()
    {
        // Checked on every turn, logged at most once per quota period: overflowing rows are never dropped silently.
        var overflow = Overflow;
        if (overflow != _overflowLogged && Stopwatch.GetElapsedTime(_lastOverflowLogTicks).TotalSeconds >= 10)
        {
            _logger.LogWarning("store writer fell behind: {Count} window rows dropped since the last report ({Total} in all; metric edgehub_edge_store_overflow_rows); check disk speed",
                overflow - _overflowLogged, overflow);
            _overflowLogged = overflow;
            _lastOverflowLogTicks = Stopwatch.GetTimestamp();
        }
    }

    private void EnforceQuotaIfDue()
    {
        if (Stopwatch.GetElapsedTime(_lastQuotaTicks).TotalSeconds < 5)
        {
            return;
        }

        _lastQuotaTicks = Stopwatch.GetTimestamp();
        _store.EnforceQuota(_quotaBytes, TimeSpan.FromHours(24));
    }

    /// <summary>Commits what is queued, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _items.Writer.TryComplete();
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }
}
