using System.Diagnostics;

namespace EdgeHub.Onnx;

public sealed partial class MicroBatcher
{
    /// <summary>
    /// The single consumer: wait for a window, take everything queued up to MaxBatch, top the batch up until the oldest window
    /// has waited MaxDelay, run, complete. One async state machine for the batcher's lifetime; no allocation per batch while
    /// windows keep arriving (the timed wait allocates only when the queue runs dry before the batch fills).
    /// </summary>
    private async Task RunLoopAsync()
    {
        var reader = _queue.Reader;
        CancellationTokenSource? delay = null;
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                var count = 0;
                while (count < _batch.Length && reader.TryRead(out var request))
                {
                    _batch[count++] = request;
                }
                if (count == 0)
                {
                    continue;
                }
                var deadline = _batch[0].EnqueuedAt + _maxDelayTicks;
                while (count < _batch.Length && _maxDelayTicks > 0)
                {
                    if (reader.TryRead(out var more))
                    {
                        _batch[count++] = more;
                        continue;
                    }
                    var remaining = deadline - Stopwatch.GetTimestamp();
                    if (remaining <= 0)
                    {
                        break;
                    }
                    if (delay is null || !delay.TryReset())
                    {
                        delay?.Dispose();
                        delay = new CancellationTokenSource();
                    }
                    // Timers tick in milliseconds; round up so a sub-millisecond remainder still waits rather than spins.
                    delay.CancelAfter(TimeSpan.FromMilliseconds(Math.Ceiling(remaining * 1000.0 / Stopwatch.Frequency)));
                    var wait = reader.WaitToReadAsync(delay.Token).AsTask();
                    await ((Task)wait).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    if (!wait.IsCompletedSuccessfully || !wait.Result)
                    {
                        break;
                    }
                }
                Execute(count);
            }
        }
        finally
        {
            delay?.Dispose();
        }
    }

    private void Execute(int count)
    {
        var started = Stopwatch.GetTimestamp();
        var input = _runner.Input(count);
        for (var i = 0; i < count; i++)
        {
            _batch[i].Features.Span.CopyTo(input.Slice(i * FeatureCount, FeatureCount));
        }
        try
        {
            _runner.Run(count);
        }
        catch (Exception ex)
        {
            // The loop stays up: this batch's callers get the error, the next batch runs normally.
            Interlocked.Increment(ref _failedRuns);
            for (var i = 0; i < count; i++)
            {
                _batch[i].Operation.SetException(ex);
                _batch[i] = default;
            }
            return;
        }
        var probabilities = _runner.Output(_probabilitiesOutput, count);
        var labels = _labelOutput >= 0 ? _runner.OutputInt64(_labelOutput, count) : default;
        var finished = Stopwatch.GetTimestamp();
        BatchRunTime.RecordTicks(finished - started);
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _rows, count);
        for (var i = 0; i < count; i++)
        {
            ref var request = ref _batch[i];
            var operation = request.Operation;
            if (request.Token.IsCancellationRequested)
            {
                var token = request.Token;
                request = default;
                operation.SetException(new OperationCanceledException(token));
                continue;
            }
            var row = probabilities.Slice(i * _classCount, _classCount);
            var label = _labelOutput >= 0 ? (int)labels[i] : ArgMax(row);
            var latencyTicks = finished - request.EnqueuedAt;
            Latency.RecordTicks(latencyTicks);
            var result = new InferenceResult(row, label, count, Stopwatch.GetElapsedTime(request.EnqueuedAt, finished));
            request = default;
            operation.SetResult(result);
        }
    }

    private static int ArgMax(ReadOnlySpan<float> row)
    {
        var best = 0;
        for (var i = 1; i < row.Length; i++)
        {
            if (row[i] > row[best])
            {
                best = i;
            }
        }
        return best;
    }
}
