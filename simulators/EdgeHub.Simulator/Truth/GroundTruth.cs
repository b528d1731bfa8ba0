using System.Collections.Frozen;
using EdgeHub.Contracts;

namespace EdgeHub.Simulator;

/// <summary>
/// Exact ground truth of a run: for every device, which episodes were active when. Scripted devices answer from their
/// schedule's formula and replayed devices from their record's rhythm annotations, so any instant can be asked about,
/// during or after the run, without storing anything per frame. Beat times go to the JSONL file (<see cref="TruthWriter"/>).
/// Thread-safe (immutable).
/// </summary>
public sealed class GroundTruth
{
    private readonly FrozenDictionary<string, int> _index;
    private readonly IDeviceTruth[] _devices;
    private readonly string[] _deviceIds;

    /// <summary>Creates the truth of a run that started at <paramref name="start"/>.</summary>
    public GroundTruth(DateTimeOffset start, IReadOnlyList<string> deviceIds, IReadOnlyList<IDeviceTruth> devices)
    {
        ArgumentNullException.ThrowIfNull(deviceIds);
        ArgumentNullException.ThrowIfNull(devices);
        if (deviceIds.Count != devices.Count)
        {
            throw new ArgumentException($"{deviceIds.Count} device ids but {devices.Count} device truths");
        }

        Start = start;
        _deviceIds = [.. deviceIds];
        _devices = [.. devices];
        var index = new Dictionary<string, int>(deviceIds.Count, StringComparer.Ordinal);
        for (var i = 0; i < _deviceIds.Length; i++)
        {
            index.Add(_deviceIds[i], i);
        }

        _index = index.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>Wall-clock start of the run (time 0 of every schedule).</summary>
    public DateTimeOffset Start { get; private set; }

    /// <summary>Moves time 0 to when the fleet actually starts sending (connecting a large fleet takes a while).</summary>
    internal void Rebase(DateTimeOffset start) => Start = start;

    /// <summary>Device ids in fleet order.</summary>
    public IReadOnlyList<string> DeviceIds => _deviceIds;

    /// <summary>True when the run has a device with this id.</summary>
    public bool Contains(string deviceId) => deviceId is not null && _index.ContainsKey(deviceId);

    /// <summary>
    /// The rhythm class of <paramref name="deviceId"/> at <paramref name="at"/>: the most dangerous rhythm episode active then
    /// (VT over AF over PVC over tachy over brady), Normal when none is.
    /// </summary>
    public RhythmClass ClassAt(string deviceId, DateTimeOffset at)
    {
        var t = Seconds(at);
        var best = RhythmClass.Normal;
        var bestPriority = 0;
        foreach (var e in Overlapping(deviceId, t, t + 1e-6))
        {
            var priority = DeviceSchedule.Priority(e.Kind);
            if (EpisodeKinds.IsRhythm(e.Kind) && priority > bestPriority)
            {
                (best, bestPriority) = (EpisodeKinds.ToRhythmClass(e.Kind), priority);
            }
        }

        return best;
    }

    /// <summary>The rhythm class at <paramref name="timestampMicros"/> (microseconds since the Unix epoch, as in frames).</summary>
    public RhythmClass ClassAt(string deviceId, long timestampMicros) =>
        ClassAt(deviceId, DateTimeOffset.UnixEpoch.AddTicks(timestampMicros * 10));

    /// <summary>Every episode of <paramref name="deviceId"/> overlapping [<paramref name="from"/>, <paramref name="to"/>).</summary>
    public IReadOnlyList<TruthEpisode> EpisodesBetween(string deviceId, DateTimeOffset from, DateTimeOffset to)
    {
        var list = new List<TruthEpisode>();
        foreach (var e in Overlapping(deviceId, Seconds(from), Seconds(to)))
        {
            list.Add(new TruthEpisode(deviceId, e.Kind, Start.AddSeconds(e.Start), Start.AddSeconds(e.End)));
        }

        return list;
    }

    /// <summary>True when an episode of <paramref name="kind"/> overlaps [<paramref name="from"/>, <paramref name="to"/>).</summary>
    public bool WasActive(string deviceId, EpisodeKind kind, DateTimeOffset from, DateTimeOffset to)
    {
        foreach (var e in Overlapping(deviceId, Seconds(from), Seconds(to)))
        {
            if (e.Kind == kind)
            {
                return true;
            }
        }

        return false;
    }

    private List<EpisodeOccurrence> Overlapping(string deviceId, double from, double to)
    {
        ArgumentNullException.ThrowIfNull(deviceId);
        if (!_index.TryGetValue(deviceId, out var i))
        {
            throw new ArgumentException($"device '{deviceId}' is not part of this simulation run ({_deviceIds.Length} devices)", nameof(deviceId));
        }

        var list = new List<EpisodeOccurrence>();
        _devices[i].EpisodesOverlapping(from, Math.Max(to, from + 1e-6), list);
        return list;
    }

    private double Seconds(DateTimeOffset at) => (at - Start).TotalSeconds;
}
