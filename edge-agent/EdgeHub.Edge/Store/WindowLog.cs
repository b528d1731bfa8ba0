namespace EdgeHub.Edge.Store;

/// <summary>
/// The row ids of one device's most recent committed windows (window end → row id), kept by the store writer as it commits
/// them. When an alert is raised, the windows that led to it are found here by id instead of by scanning the newest rows of
/// the windows table (which has no index on device, to keep inserts cheap): at hundreds of alerts a second the scan was the
/// store writer's largest cost. Written and read on the store writer thread only; 16 windows, 272 bytes per device.
/// </summary>
public sealed class WindowLog
{
    /// <summary>Windows remembered.</summary>
    public const int Capacity = 16;

    // Interleaved (window end µs, row id) pairs in a ring.
    private readonly long[] _entries = new long[2 * Capacity];
    private int _head, _count;

    /// <summary>Remembers a committed window.</summary>
    public void Add(long windowEndMicros, long rowId)
    {
        _entries[2 * _head] = windowEndMicros;
        _entries[(2 * _head) + 1] = rowId;
        _head = (_head + 1) % Capacity;
        _count = Math.Min(_count + 1, Capacity);
    }

    /// <summary>
    /// Writes the row ids of the remembered windows ending in [<paramref name="fromMicros"/>, <paramref name="toMicros"/>]
    /// into <paramref name="rowIds"/> and returns how many; -1 when windows before <paramref name="fromMicros"/> may have been
    /// forgotten (the log does not reach back far enough: the caller must search the table).
    /// </summary>
    public int Collect(long fromMicros, long toMicros, Span<long> rowIds)
    {
        if (_count == Capacity && _entries[2 * _head] >= fromMicros)
        {
            return -1; // the oldest remembered window is inside the range: older ones may be too
        }

        var n = 0;
        for (var k = 0; k < _count; k++)
        {
            var slot = (_head - _count + k + Capacity) % Capacity;
            var end = _entries[2 * slot];
            if (end >= fromMicros && end <= toMicros && n < rowIds.Length)
            {
                rowIds[n++] = _entries[(2 * slot) + 1];
            }
        }

        return n;
    }
}
