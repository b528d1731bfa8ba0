using System.Threading.Tasks.Sources;

namespace EdgeHub.Onnx;

/// <summary>
/// The pending result of one <see cref="MicroBatcher.InferAsync"/> call: a reusable <see cref="IValueTaskSource{TResult}"/>,
/// returned to its pool once the caller has read the result, so steady-state inference allocates no task per window.
/// </summary>
internal sealed class InferenceOperation : IValueTaskSource<InferenceResult>
{
    private readonly OperationPool _pool;
    private ManualResetValueTaskSourceCore<InferenceResult> _core;

    public InferenceOperation(OperationPool pool, bool runContinuationsAsynchronously)
    {
        _pool = pool;
        _core.RunContinuationsAsynchronously = runContinuationsAsynchronously;
    }

    public ValueTask<InferenceResult> Task => new(this, _core.Version);

    public void SetResult(in InferenceResult result) => _core.SetResult(result);

    public void SetException(Exception error) => _core.SetException(error);

    public InferenceResult GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            _core.Reset();
            _pool.Return(this);
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}

/// <summary>A bounded stack of idle <see cref="InferenceOperation"/>s (a lock is cheaper than the allocation it saves).</summary>
internal sealed class OperationPool(int capacity, bool runContinuationsAsynchronously)
{
    private readonly Stack<InferenceOperation> _idle = new(capacity);
    private readonly Lock _lock = new();

    public InferenceOperation Rent()
    {
        lock (_lock)
        {
            if (_idle.TryPop(out var operation))
            {
                return operation;
            }
        }
        return new InferenceOperation(this, runContinuationsAsynchronously);
    }

    public void Return(InferenceOperation operation)
    {
        lock (_lock)
        {
            if (_idle.Count < capacity)
            {
                _idle.Push(operation);
            }
        }
    }
}
