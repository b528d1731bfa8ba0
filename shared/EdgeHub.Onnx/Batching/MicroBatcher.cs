using System.Diagnostics;
using System.Threading.Channels;

namespace EdgeHub.Onnx;

/// <summary>
/// Batches single feature windows from many callers into ORT runs: each <see cref="InferAsync"/> queues one window; one loop
/// takes up to <see cref="MicroBatcherOptions.MaxBatch"/> queued windows (waiting at most <see cref="MicroBatcherOptions.MaxDelay"/>
/// for a batch to fill), runs them together through an <see cref="OnnxRunner"/> and hands every caller its own row.
/// The queue is bounded: when full, callers wait (backpressure). Every result's latency goes into <see cref="Latency"/>.
/// </summary>
public sealed partial class MicroBatcher : IAsyncDisposable
{
    private readonly OnnxRunner _runner;
    private readonly Channel<Request> _queue;
    private readonly OperationPool _pool;
    private readonly Request[] _batch;
    private readonly int _probabilitiesOutput;
    private readonly int _labelOutput;
    private readonly int _classCount;
    private readonly long _maxDelayTicks;
    private readonly Task _loop;
    private long _batches;
    private long _rows;
    private long _failedRuns;
    private volatile bool _disposed;

    /// <summary>Starts batching over <paramref name="session"/>, whose input must be float <c>[N, featureCount]</c>.</summary>
    /// <exception cref="ArgumentException">The model's signature does not match <paramref name="featureCount"/> or has no usable output.</exception>
    public MicroBatcher(OnnxSession session, int featureCount, MicroBatcherOptions options)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var runner = session.CreateRunner(options.MaxBatch);
        try
        {
            if (runner.FeatureCount != featureCount)
            {
                throw new ArgumentException(
                    $"model input {runner.InputInfo} expects windows of {runner.FeatureCount} features; the batcher was configured for {featureCount}",
                    nameof(featureCount));
            }
            (_probabilitiesOutput, _labelOutput) = ChooseOutputs(runner);
            _classCount = runner.OutputRowLength(_probabilitiesOutput);
        }
        catch
        {
            runner.Dispose();
            throw;
        }
        _runner = runner;
        FeatureCount = featureCount;
        Options = options;
        _maxDelayTicks = (long)(options.MaxDelay.TotalSeconds * Stopwatch.Frequency);
        _batch = new Request[options.MaxBatch];
        _pool = new OperationPool(options.QueueCapacity + options.MaxBatch, !options.RunContinuationsInline);
        _queue = Channel.CreateBounded<Request>(new BoundedChannelOptions(options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
            AllowSynchronousContinuations = false,
        });
        _loop = Task.Run(RunLoopAsync);
    }

    /// <summary>Floats per window.</summary>
    public int FeatureCount { get; }

    /// <summary>The options the batcher runs with.</summary>
    public MicroBatcherOptions Options { get; }

    /// <summary>Submission-to-result latency of every completed window.</summary>
    public LatencyHistogram Latency { get; } = new();

    /// <summary>Duration of each ORT run (copying the batch in and running it).</summary>
    public LatencyHistogram BatchRunTime { get; } = new();

    /// <summary>Windows waiting to run.</summary>
    public int QueueDepth => _queue.Reader.Count;

    /// <summary>ORT runs performed.</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Windows run.</summary>
    public long Rows => Interlocked.Read(ref _rows);

    /// <summary>Runs that failed (their callers received the exception).</summary>
    public long FailedRuns => Interlocked.Read(ref _failedRuns);

    /// <summary>
    /// Queues one window and completes with its result. The window's memory must stay unchanged until the returned task
    /// completes (it is copied into the batch just before the run). Waits for room when the queue is full.
    /// <paramref name="ct"/> is observed before queueing, while waiting for room, and when the window's batch completes
    /// (a queued window is not pulled out of its batch; its caller gets <see cref="OperationCanceledException"/> instead of the result).
    /// </summary>
    /// <exception cref="ArgumentException">The window is not <see cref="FeatureCount"/> floats (the message names the model's input shape).</exception>
    /// <exception cref="ObjectDisposedException">The batcher is disposed.</exception>
    public ValueTask<InferenceResult> InferAsync(ReadOnlyMemory<float> features, CancellationToken ct = default)
    {
        if (features.Length != FeatureCount)
        {
            throw new ArgumentException(WrongShapeMessage(features.Length), nameof(features));
        }
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (ct.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<InferenceResult>(ct);
        }
        var operation = _pool.Rent();
        var request = new Request(features, operation, Stopwatch.GetTimestamp(), ct);
        return _queue.Writer.TryWrite(request) ? operation.Task : EnqueueSlowAsync(request, ct);
    }

    /// <summary>Stops accepting windows, runs the ones already queued, and releases the runner.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        _runner.Dispose();
    }

    private async ValueTask<InferenceResult> EnqueueSlowAsync(Request request, CancellationToken ct)
    {
        try
        {
            await _queue.Writer.WriteAsync(request, ct).ConfigureAwait(false);
        }
        catch (ChannelClosedException ex)
        {
            throw new ObjectDisposedException($"{nameof(MicroBatcher)} was disposed while the window waited for queue room", ex);
        }
        return await request.Operation.Task.ConfigureAwait(false);
    }

    private string WrongShapeMessage(int length) =>
        $"model input {_runner.InputInfo} expects windows of {FeatureCount} features (one row of [N, {FeatureCount}]); got {length} floats";

    private static (int Probabilities, int Label) ChooseOutputs(OnnxRunner runner)
    {
        var probabilities = -1;
        var label = -1;
        for (var i = 0; i < runner.Outputs.Count; i++)
        {
            var output = runner.Outputs[i];
            if (probabilities < 0 && output.ElementType == OnnxElementType.Float && output.Shape.Count <= 2)
            {
                probabilities = i;
            }
            else if (label < 0 && output.ElementType == OnnxElementType.Int64 && output.Shape.Count == 1)
            {
                label = i;
            }
        }
        if (probabilities < 0)
        {
            throw new ArgumentException($"the batcher needs a float output [N, classes]; the model's outputs are {string.Join("; ", runner.Outputs)}");
        }
        if (runner.OutputRowLength(probabilities) > InferenceResult.MaxClasses)
        {
            throw new ArgumentException(
                $"model output {runner.Outputs[probabilities]} has more than {InferenceResult.MaxClasses} classes, the most an InferenceResult carries");
        }
        return (probabilities, label);
    }

    private readonly record struct Request(ReadOnlyMemory<float> Features, InferenceOperation Operation, long EnqueuedAt, CancellationToken Token);
}
