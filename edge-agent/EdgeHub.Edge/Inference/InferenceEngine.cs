using System.Threading.Channels;
using EdgeHub.Contracts;
using EdgeHub.Edge.Models;
using EdgeHub.Edge.Status;
using Microsoft.Extensions.Logging;

namespace EdgeHub.Edge.Inference;

/// <summary>
/// The inference thread: drains whatever frames are waiting (up to <see cref="InferenceOptions.MaxBatch"/>; no artificial
/// delay, so batches grow with load and latency stays low when idle), applies pending model changes between batches,
/// runs the serving model on the batch's windows in one ORT call (and the shadow candidate beside it), then hands every
/// item in arrival order to the <see cref="OutputStage"/> (alerts, feedback, store). One dedicated thread that sleeps on an
/// event when the queue is empty: per-device order holds, a model swap can neither drop nor repeat a window, and a
/// frame costs no thread-pool hop (thread-pool workers spinning for such hops took a third of the agent's CPU).
/// The queue is bounded (<see cref="InferenceOptions.QueueCapacity"/>): <see cref="TryEnqueue"/> refuses when it is full
/// (the caller sheds the frame and counts it), <see cref="EnqueueAsync"/> waits for room (back-pressure).
/// </summary>
public sealed class InferenceEngine : IAsyncDisposable
{
    private readonly Channel<WorkItem> _queue;
    private readonly ModelManager _models;
    private readonly OutputStage _output;
    private readonly EdgeMetrics _metrics;
    private readonly ILogger _logger;
    private readonly int _maxBatch;
    private readonly WorkItem[] _items;
    private readonly float[] _features;
    private readonly float[] _probs;
    private readonly float[] _shadowProbs;
    private readonly Thread _thread;
    // Hardly any spinning before blocking: spinning threads are what cost the agent its CPU on a busy 2-core machine.
    private readonly ManualResetEventSlim _wake = new(false, spinCount: 1);
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _sleeping;
    private volatile bool _stopping;
    private long _processed;

    /// <summary>Starts the inference thread.</summary>
    public InferenceEngine(InferenceOptions options, ModelManager models, OutputStage output, EdgeMetrics metrics, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _models = models ?? throw new ArgumentNullException(nameof(models));
        _output = output ?? throw new ArgumentNullException(nameof(output));
        _metrics = metrics ?? throw new ArgumentNullException(nameof(metrics));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _maxBatch = options.MaxBatch;
        _items = new WorkItem[_maxBatch];
        _features = new float[_maxBatch * FeatureSchema.Count];
        _probs = new float[_maxBatch * RhythmClasses.Count];
        _shadowProbs = new float[_maxBatch * RhythmClasses.Count];
        _queue = Channel.CreateBounded<WorkItem>(new BoundedChannelOptions(options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _models.CommandQueued += Wake;
        _thread = new Thread(Run) { IsBackground = true, Name = "edge-inference" };
        _thread.Start();
    }

    /// <summary>Frames waiting for the inference thread.</summary>
    public int QueueDepth => _queue.Reader.Count;

    /// <summary>Frames fully processed (feedback sent) since start.</summary>
    public long Processed => Interlocked.Read(ref _processed);

    /// <summary>Queues an accepted frame; false (nothing queued) when the queue is full.</summary>
    public bool TryEnqueue(WorkItem item)
    {
        if (!_queue.Writer.TryWrite(item))
        {
            return false;
        }

        Signal();
        return true;
    }

    /// <summary>Queues an accepted frame, waiting for room when the queue is full (back-pressure to the caller).</summary>
    public ValueTask EnqueueAsync(WorkItem item, CancellationToken ct) => TryEnqueue(item) ? ValueTask.CompletedTask : WaitAndEnqueueAsync(item, ct);

    /// <summary>Makes the thread apply pending model changes even when no frames arrive.</summary>
    public void Wake() => _wake.Set();

    private async ValueTask WaitAndEnqueueAsync(WorkItem item, CancellationToken ct)
    {
        await _queue.Writer.WriteAsync(item, ct).ConfigureAwait(false);
        Signal();
    }

    private void Signal()
    {
        // Pairs with the fence in Run: either the thread sees the new item before sleeping, or we see it asleep and wake it.
        if (Volatile.Read(ref _sleeping) != 0 && Interlocked.Exchange(ref _sleeping, 0) == 1)
        {
            _wake.Set();
        }
    }

    private void Run()
    {
        var reader = _queue.Reader;
        try
        {
            while (true)
            {
                var n = 0;
                while (n < _maxBatch && reader.TryRead(out var item))
                {
                    _items[n++] = item;
                }

                RunBatch(n);
                if (n > 0)
                {
                    continue;
                }

                if (_stopping && reader.Count == 0)
                {
                    return;
                }

                Interlocked.Exchange(ref _sleeping, 1);
                if (reader.Count == 0 && !_stopping)
                {
                    _wake.Wait();
                }

                // Reset before the next drain and ApplyPending: a Set after this point wakes the next Wait.
                _wake.Reset();
                Interlocked.Exchange(ref _sleeping, 0);
            }
        }
        finally
        {
            _stopped.TrySetResult();
        }
    }

    private void RunBatch(int n)
    {
        try
        {
            _models.ApplyPending();
            if (n > 0)
            {
                ProcessBatch(n);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Counted as shed: accepted frames that got no feedback are never lost silently.
            _metrics.Shed(n);
            _logger.LogError(ex, "inference batch of {Count} frames failed (counted as shed): {Message}", n, ex.Message);
            for (var i = 0; i < n; i++)
            {
                WorkItem.Return(_items[i]);
            }
        }

        Array.Clear(_items, 0, n);
    }

    private void ProcessBatch(int n)
    {
        var windows = 0;
        for (var i = 0; i < n; i++)
        {
            var item = _items[i];
            if (item.HasWindow)
            {
                item.Features.CopyTo(_features.AsSpan(windows * FeatureSchema.Count));
                item.BatchRow = windows++;
            }
        }

        var model = windows > 0 ? RunCurrent(windows) : _models.Current;
        if (windows > 0 && model is not null && _models.Candidate is { } candidate)
        {
            RunShadow(candidate, windows);
        }

        var version = model?.Version;
        for (var i = 0; i < n; i++)
        {
            var item = _items[i];
            var probs = model is not null && item.BatchRow >= 0
                ? _probs.AsSpan(item.BatchRow * RhythmClasses.Count, RhythmClasses.Count)
                : Span<float>.Empty;
            _output.Complete(item, probs, probs.IsEmpty ? null : version);
            WorkItem.Return(item);
        }

        Interlocked.Add(ref _processed, n);
    }

    private LoadedModel? RunCurrent(int windows)
    {
        var model = _models.Current;
        while (model is not null)
        {
            try
            {
                RunChunked(model, windows, _probs);
                _metrics.Inferred(windows);
                return model;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // Roll back (or fall to the safety net) and run the same windows again: none is dropped.
                _metrics.ModelFailure();
                model = _models.OnRunFailure(model, ex);
            }
        }

        return null;
    }

    private void RunShadow(LoadedModel candidate, int windows)
    {
        try
        {
            RunChunked(candidate, windows, _shadowProbs);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _metrics.ModelFailure();
            _models.OnRunFailure(candidate, ex);
            return;
        }

        var agree = 0;
        for (var w = 0; w < windows; w++)
        {
            if (ArgMax(_probs.AsSpan(w * RhythmClasses.Count, RhythmClasses.Count)) == ArgMax(_shadowProbs.AsSpan(w * RhythmClasses.Count, RhythmClasses.Count)))
            {
                agree++;
            }
        }

        _models.ReportShadow(windows, agree);
    }

    private void RunChunked(LoadedModel model, int windows, float[] output)
    {
        for (var start = 0; start < windows; start += model.MaxBatch)
        {
            var count = Math.Min(model.MaxBatch, windows - start);
            model.Run(_features.AsSpan(start * FeatureSchema.Count, count * FeatureSchema.Count), count,
                output.AsSpan(start * RhythmClasses.Count, count * RhythmClasses.Count));
        }
    }

    /// <summary>Index of the largest value.</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }

    /// <summary>Processes what is queued, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stopping)
        {
            await _stopped.Task.ConfigureAwait(false);
            return;
        }

        _models.CommandQueued -= Wake;
        _queue.Writer.TryComplete();
        _stopping = true;
        _wake.Set();
        await _stopped.Task.ConfigureAwait(false);
    }
}
