using System.Diagnostics;
using EdgeHub.Contracts;

namespace EdgeHub.Edge.Ingest;

/// <summary>
/// The devices this edge currently tracks, bounded by <see cref="EdgeOptions.MaxDevices"/> and an idle timeout so memory
/// stays flat however many devices come and go. Lookups by the topic's span allocate nothing.
/// </summary>
public sealed class DeviceRegistry
{
    private readonly Dictionary<string, DeviceState> _devices = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DeviceState>.AlternateLookup<ReadOnlySpan<char>> _bySpan;
    // Site id → (the one instance of the id, its alerts topic), shared by every device of the site instead of two strings
    // per device; bounded, so devices inventing site ids cannot grow it (past the bound each device keeps its own).
    private readonly Dictionary<string, (string SiteId, string AlertsTopic)> _sites = new(StringComparer.Ordinal);
    private const int MaxSites = 1024;
    private readonly Lock _gate = new();
    private readonly EdgeOptions _options;
    private long _lastSweepTicks = Stopwatch.GetTimestamp();
    private long _evicted;

    /// <summary>Creates the registry.</summary>
    public DeviceRegistry(EdgeOptions options)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _bySpan = _devices.GetAlternateLookup<ReadOnlySpan<char>>();
        Pseudonymizer = Pseudonymizer.FromSetting(options.PseudonymKey);
    }

    /// <summary>HMAC pseudonymiser with the regional key.</summary>
    public Pseudonymizer Pseudonymizer { get; }

    /// <summary>Devices tracked now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _devices.Count;
            }
        }
    }

    /// <summary>Devices evicted (idle or over the limit) since start.</summary>
    public long Evicted => Interlocked.Read(ref _evicted);

    /// <summary>The device with this id, or null.</summary>
    public DeviceState? Find(ReadOnlySpan<char> deviceId)
    {
        lock (_gate)
        {
            return _bySpan.TryGetValue(deviceId, out var d) ? d : null;
        }
    }

    /// <summary>The device with this id, created (and the registry swept) when new.</summary>
    public DeviceState GetOrAdd(ReadOnlySpan<char> deviceId)
    {
        lock (_gate)
        {
            if (_bySpan.TryGetValue(deviceId, out var d))
            {
                return d;
            }

            SweepIfDue();
            if (_devices.Count >= _options.MaxDevices)
            {
                EvictOldest();
            }

            var id = deviceId.ToString();
            d = new DeviceState(id, _options.Alerts) { DevicePseudonym = Pseudonymizer.Pseudonymise("device", id), LastSeenTicks = Stopwatch.GetTimestamp() };
            _devices.Add(id, d);
            return d;
        }
    }

    /// <summary>
    /// The site id as one shared instance, and the site's alerts topic (ehub/v1/sites/{site}/alerts; "unknown" stands in
    /// for an id that is not valid in a topic).
    /// </summary>
    public (string SiteId, string AlertsTopic) Site(string siteId)
    {
        ArgumentNullException.ThrowIfNull(siteId);
        lock (_gate)
        {
            if (_sites.TryGetValue(siteId, out var site))
            {
                return site;
            }

            site = (siteId, Topics.Alerts(Ids.IsValid(siteId) ? siteId : "unknown"));
            if (_sites.Count < MaxSites)
            {
                _sites.Add(siteId, site);
            }

            return site;
        }
    }

    /// <summary>A copy of the tracked devices (status, web page).</summary>
    public DeviceState[] Snapshot()
    {
        lock (_gate)
        {
            return [.. _devices.Values];
        }
    }

    /// <summary>Drops devices idle longer than <see cref="EdgeOptions.DeviceIdleSeconds"/>.</summary>
    public int Sweep()
    {
        lock (_gate)
        {
            _lastSweepTicks = Stopwatch.GetTimestamp();
            var limit = (long)(_options.DeviceIdleSeconds * Stopwatch.Frequency);
            List<string>? idle = null;
            foreach (var (id, d) in _devices)
            {
                if (_lastSweepTicks - d.LastSeenTicks > limit)
                {
                    (idle ??= []).Add(id);
                }
            }

            if (idle is null)
            {
                return 0;
            }

            foreach (var id in idle)
            {
                _devices.Remove(id);
            }

            Interlocked.Add(ref _evicted, idle.Count);
            return idle.Count;
        }
    }

    private void SweepIfDue()
    {
        if (Stopwatch.GetElapsedTime(_lastSweepTicks).TotalSeconds >= 10)
        {
            Sweep();
        }
    }

    private void EvictOldest()
    {
        string? oldest = null;
        var oldestTicks = long.MaxValue;
        foreach (var (id, d) in _devices)
        {
            if (d.LastSeenTicks < oldestTicks)
            {
                oldestTicks = d.LastSeenTicks;
                oldest = id;
            }
        }

        if (oldest is not null)
        {
            _devices.Remove(oldest);
            Interlocked.Increment(ref _evicted);
        }
    }
}
