using EdgeHub.Contracts;

namespace EdgeHub.Edge.Alerts;

/// <summary>
/// The alerts this edge published recently (newest last, bounded), for the clinician page and tests, with an event per
/// message. Active alerts are kept until cleared; the history keeps the last <see cref="Capacity"/> messages.
/// </summary>
public sealed class AlertFeed
{
    /// <summary>Messages kept in the history.</summary>
    public const int Capacity = 2000;

    private readonly Lock _gate = new();
    private readonly Queue<AlertMessage> _history = new();
    private readonly Dictionary<string, AlertMessage> _active = new(StringComparer.Ordinal);

    /// <summary>Raised after each published alert message (on the inference thread: handlers must be quick).</summary>
    public event Action<AlertMessage>? Published;

    /// <summary>Records a message.</summary>
    public void Add(AlertMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        lock (_gate)
        {
            _history.Enqueue(message);
            while (_history.Count > Capacity)
            {
                _history.Dequeue();
            }

            if (message.State == "cleared")
            {
                _active.Remove(message.AlertId);
            }
            else
            {
                _active[message.AlertId] = message;
            }
        }

        Published?.Invoke(message);
    }

    /// <summary>The latest message of every active alert.</summary>
    public AlertMessage[] Active()
    {
        lock (_gate)
        {
            return [.. _active.Values];
        }
    }

    /// <summary>The recent messages, oldest first.</summary>
    public AlertMessage[] History()
    {
        lock (_gate)
        {
            return [.. _history];
        }
    }
}
