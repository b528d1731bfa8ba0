namespace EdgeHub.Mqtt.Client;

/// <summary>
/// Bounds the messages between a client's socket reader and its <see cref="MqttClient.MessageReceived"/> handler
/// (queued or being handled), by count and payload bytes. When either limit is reached the read loop stops reading the
/// socket until the handler catches up, so the broker meets TCP back-pressure instead of the client growing or dropping.
/// <para>
/// One exception avoids a deadlock: while the handler itself waits for the broker (a publish awaiting PUBACK, a
/// subscribe awaiting SUBACK) the acknowledgement may sit behind queued PUBLISH packets in the socket, so reading
/// continues until that wait ends; the overshoot is what the broker sends in the meantime.
/// </para>
/// </summary>
internal sealed class IncomingFlowControl
{
    private readonly Lock _lock = new();
    private readonly int _maxMessages;
    private readonly long _maxBytes;
    private int _messages;
    private long _bytes;
    private int _handlerWaits;
    private long _pauses;
    private TaskCompletionSource? _room;

    public IncomingFlowControl(int maxMessages, long maxBytes)
    {
        if (maxMessages < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxMessages), maxMessages, "MaxIncomingMessages must be at least 1");
        }
        if (maxBytes < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxBytes), maxBytes, "MaxIncomingBytes must be at least 1");
        }
        _maxMessages = maxMessages;
        _maxBytes = maxBytes;
    }

    /// <summary>Messages received and not yet handled.</summary>
    public int Messages => Volatile.Read(ref _messages);

    /// <summary>Payload bytes of <see cref="Messages"/>.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Times the read loop stopped reading the socket.</summary>
    public long Pauses => Interlocked.Read(ref _pauses);

    /// <summary>True when the read loop must stop reading (a limit is reached and the handler is not waiting on the broker).</summary>
    public bool IsFull =>
        (Volatile.Read(ref _messages) >= _maxMessages || Interlocked.Read(ref _bytes) >= _maxBytes) && Volatile.Read(ref _handlerWaits) == 0;

    /// <summary>A message was queued for the handler.</summary>
    public void Added(int bytes)
    {
        Interlocked.Increment(ref _messages);
        Interlocked.Add(ref _bytes, bytes);
    }

    /// <summary>The handler finished a message.</summary>
    public void Removed(int bytes)
    {
        Interlocked.Decrement(ref _messages);
        Interlocked.Add(ref _bytes, -bytes);
        SignalIfRoom();
    }

    /// <summary>The handler started waiting for the broker: reading must go on (see the class remarks).</summary>
    public void HandlerWaitBegin()
    {
        Interlocked.Increment(ref _handlerWaits);
        SignalIfRoom();
    }

    public void HandlerWaitEnd() => Interlocked.Decrement(ref _handlerWaits);

    /// <summary>Completes once <see cref="IsFull"/> is false (at once if it already is).</summary>
    public ValueTask WaitForRoomAsync(CancellationToken ct)
    {
        Task room;
        lock (_lock)
        {
            var waiter = _room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            // The waiter is published before the limits are re-read: a Removed racing with us either sees it or we see its count.
            Interlocked.MemoryBarrier();
            if (!IsFull)
            {
                _room = null;
                return ValueTask.CompletedTask;
            }
            Interlocked.Increment(ref _pauses);
            room = waiter.Task;
        }
        return new ValueTask(room.WaitAsync(ct));
    }

    private void SignalIfRoom()
    {
        if (Volatile.Read(ref _room) is null)
        {
            return;
        }
        lock (_lock)
        {
            if (_room != null && !IsFull)
            {
                _room.TrySetResult();
                _room = null;
            }
        }
    }
}
