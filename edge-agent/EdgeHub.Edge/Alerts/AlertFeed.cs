using EdgeHub.Contracts;

namespace EdgeHub.Edge.Alerts;

/// <summary>
/// The alerts this edge published recently (newest last, bounded), for the clinician page and tests, with an event per
/// message. Active alerts are kept until cleared; the history keeps the last <see cref="Capacity"/> messages.
/// Memory is bounded per alert, not just in count: the history drops the ECG strips (it answers "which alerts exist", the
/// active set shows the strips), and an active alert keeps its strip as int16 microvolts, half the size of the float
/// millivolts it is published with (a storm of 10,000 active alerts would otherwise hold 60 MB of strips).
/// </summary>
public sealed class AlertFeed
{
    /// <summary>Messages kept in the history.</summary>
    public const int Capacity = 2000;

    private readonly Lock _gate = new();
    private readonly Queue<AlertMessage> _history = new();
    private readonly Dictionary<string, Entry> _active = new(StringComparer.Ordinal);

    /// <summary>Raised after each published alert message (on the inference thread: handlers must be quick).</summary>
    public event Action<AlertMessage>? Published;

    /// <summary>Active alerts.</summary>
    public int ActiveCount
    {
        get
        {
            lock (_gate)
            {
                return _active.Count;
            }
        }
    }

    /// <summary>Records a message.</summary>
    public void Add(AlertMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var bare = message.Strip is null ? message : message with { Strip = null };
        lock (_gate)
        {
            _history.Enqueue(bare);
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
                // An update keeps the strip of the raise (updates carry none).
                var strip = message.Strip is { } s ? CompactStrip.From(s)
                    : _active.TryGetValue(message.AlertId, out var previous) ? previous.Strip : null;
                _active[message.AlertId] = new Entry(bare, strip);
            }
        }

        Published?.Invoke(message);
    }

    /// <summary>The latest message of every active alert, with the strip of its raise.</summary>
    public AlertMessage[] Active()
    {
        Entry[] entries;
        lock (_gate)
        {
            entries = [.. _active.Values];
        }

        var messages = new AlertMessage[entries.Length];
        for (var i = 0; i < entries.Length; i++)
        {
            var (message, strip) = entries[i];
            messages[i] = strip is null ? message : message with { Strip = strip.ToStrip() };
        }

        return messages;
    }

    /// <summary>The recent messages, oldest first (without strips).</summary>
    public AlertMessage[] History()
    {
        lock (_gate)
        {
            return [.. _history];
        }
    }

    private readonly record struct Entry(AlertMessage Message, CompactStrip? Strip);

    /// <summary>An ECG strip as int16 µV (±32.7 mV, the resolution the analyzer keeps anyway).</summary>
    private sealed class CompactStrip(int sampleRate, short[] microvolts)
    {
        public static CompactStrip From(EcgStrip strip)
        {
            var mv = strip.MilliVolts;
            var uv = new short[mv.Length];
            for (var i = 0; i < mv.Length; i++)
            {
                uv[i] = (short)Math.Clamp(MathF.Round(mv[i] * 1000f), short.MinValue, short.MaxValue);
            }

            return new CompactStrip(strip.SampleRate, uv);
        }

        public EcgStrip ToStrip()
        {
            var mv = new float[microvolts.Length];
            for (var i = 0; i < mv.Length; i++)
            {
                mv[i] = microvolts[i] / 1000f;
            }

            return new EcgStrip(sampleRate, mv);
        }
    }
}
