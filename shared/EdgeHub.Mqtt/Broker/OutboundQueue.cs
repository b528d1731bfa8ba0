using System.Threading.Tasks.Sources;

namespace EdgeHub.Mqtt.Broker;

/// <summary>
/// The queue between a connection's producers (routing threads, the read loop) and its one write loop: many writers,
/// one reader, unbounded (bounds are enforced by the callers). It replaces an unbounded channel, which cost about 1 KB per
/// connection even when idle (segments, reader and writer objects, a waiting-read operation): here the queue object is
/// itself the waiting reader's value-task source, and a lone item (a monitor's feedback once a second: the usual case)
/// waits in a field, so a connection that never has two items queued at once never allocates a queue array; the array a
/// burst grew shrinks once the queue drains.
/// </summary>
internal sealed class OutboundQueue<T> : IValueTaskSource<bool>
{
    private const int KeepCapacity = 64;

    private readonly Lock _sync = new();
    private Queue<T> _items = new();
    // The oldest item when it is alone or first (held exactly when _count exceeds _items.Count): _items holds newer ones.
    private T _single = default!;
    private ManualResetValueTaskSourceCore<bool> _waiter = new() { RunContinuationsAsynchronously = true };
    private int _count;
    private bool _completed;
    private bool _readerWaiting;

    /// <summary>Items queued and not yet read.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Queues <paramref name="item"/>; false once the queue is completed.</summary>
    public bool TryWrite(T item)
    {
        bool wake;
        lock (_sync)
        {
            if (_completed)
            {
                return false;
            }
            if (_count == 0)
            {
                _single = item;
            }
            else
            {
                _items.Enqueue(item);
            }
            _count++;
            wake = _readerWaiting;
            _readerWaiting = false;
        }
        if (wake)
        {
            _waiter.SetResult(true);
        }
        return true;
    }

    /// <summary>No more writes; the reader still drains what is queued. False when already completed.</summary>
    public bool TryComplete()
    {
        bool wake;
        lock (_sync)
        {
            if (_completed)
            {
                return false;
            }
            _completed = true;
            wake = _readerWaiting;
            _readerWaiting = false;
        }
        if (wake)
        {
            _waiter.SetResult(true);
        }
        return true;
    }

    /// <summary>Takes the oldest item (the reader only).</summary>
    public bool TryRead(out T item)
    {
        lock (_sync)
        {
            if (_count > _items.Count)
            {
                item = _single;
                _single = default!;
                _count--;
                return true;
            }
            if (_items.TryDequeue(out item!))
            {
                _count--;
                if (_count == 0 && _items.Count == 0 && _items.EnsureCapacity(0) > KeepCapacity)
                {
                    _items = new Queue<T>(); // a burst's array is not kept by an idle connection
                }
                return true;
            }
            return false;
        }
    }

    /// <summary>
    /// Completes with true when an item can be read, false when the queue is completed and empty (the reader only; one
    /// wait at a time). A wake-up may find nothing to read after completion: the next call then returns false.
    /// </summary>
    public ValueTask<bool> WaitToReadAsync()
    {
        lock (_sync)
        {
            if (_count > 0)
            {
                return new ValueTask<bool>(true);
            }
            if (_completed)
            {
                return new ValueTask<bool>(false);
            }
            _waiter.Reset();
            _readerWaiting = true;
            return new ValueTask<bool>(this, _waiter.Version);
        }
    }

    bool IValueTaskSource<bool>.GetResult(short token) => _waiter.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _waiter.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _waiter.OnCompleted(continuation, state, token, flags);
}
