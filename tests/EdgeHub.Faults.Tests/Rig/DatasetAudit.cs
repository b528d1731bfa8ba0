using System.Text;
using EdgeHub.Contracts;
using EdgeHub.Datasets;

namespace EdgeHub.Faults.Tests.Rig;

/// <summary>
/// The after-every-fault oracle: reads the hub's regional Delta table with the EdgeHub.Datasets reader and the edge's store,
/// and lists every way they disagree: a window twice in the dataset, a window the edge sealed and the hub acknowledged that is
/// missing, a window the edge never had, a labelled window whose label did not arrive, a delta never acknowledged.
/// </summary>
public sealed class DatasetAudit
{
    private readonly Dictionary<string, int> _windowCounts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (long At, int? Label)> _labels = new(StringComparer.Ordinal);
    private readonly HashSet<string> _labelledAlerts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<long>> _deviceTimelines = new(StringComparer.Ordinal);
    private readonly List<string> _problems = [];

    private DatasetAudit(EdgeStoreSnapshot edge, long hubLastSequence)
    {
        Edge = edge;
        HubLastSequence = hubLastSequence;
    }

    /// <summary>The edge store as read.</summary>
    public EdgeStoreSnapshot Edge { get; }

    /// <summary>The last sequence the dataset committed for the edge (its Delta txn version).</summary>
    public long HubLastSequence { get; }

    /// <summary>Window rows in the dataset from the edge.</summary>
    public int HubWindows => _windowCounts.Count;

    /// <summary>Windows of the edge that carry a label in the dataset (own column or a later label row).</summary>
    public int HubLabelledWindows => _labels.Count;

    /// <summary>Everything that is wrong; empty when the dataset holds exactly what the edge produced.</summary>
    public IReadOnlyList<string> Problems => _problems;

    /// <summary>True when window <paramref name="windowId"/> is in the dataset (labelled or not).</summary>
    public bool HasWindow(string windowId) => _windowCounts.ContainsKey(windowId);

    /// <summary>True when window <paramref name="windowId"/> carries a label in the dataset.</summary>
    public bool IsWindowLabelled(string windowId) => _labels.ContainsKey(windowId);

    /// <summary>True when some window of alert <paramref name="alertId"/> is labelled in the dataset.</summary>
    public bool IsLabelled(string alertId) => _labelledAlerts.Contains(alertId);

    /// <summary>
    /// Audits region <paramref name="region"/> of the hub at <paramref name="hubData"/> against the edge store.
    /// <paramref name="ackedRowsMayBePruned"/>: the quota policy may have deleted windows the hub already has (then
    /// "in the dataset but unknown to the edge" is expected and not reported).
    /// </summary>
    public static DatasetAudit Run(string hubData, string region, string edgeStorePath, string edgeId, bool ackedRowsMayBePruned = false)
    {
        var edge = EdgeStoreSnapshot.Read(edgeStorePath, edgeId);
        var table = new DatasetStore(Path.Combine(hubData, "datasets")).Open(region);
        var audit = new DatasetAudit(edge, table.LastSequence(edgeId) ?? 0);
        audit.ReadDataset(table.ReadRows(), edgeId);
        audit.Compare(ackedRowsMayBePruned);
        return audit;
    }

    /// <summary>A one-paragraph account for test output.</summary>
    public string Describe()
    {
        var sb = new StringBuilder();
        sb.Append($"edge store: {Edge.Windows.Count} windows ({Edge.Windows.Count(w => w.Label is not null)} labelled), {Edge.Deltas.Count} deltas ")
          .Append($"({Edge.Deltas.Count(d => !d.Acked)} unacknowledged, {Edge.Deltas.Count(d => d.Status == "duplicate")} acknowledged as resent duplicates), ")
          .Append($"{Edge.Alerts.Count} alerts; ")
          .Append($"dataset: {HubWindows} windows of the edge ({HubLabelledWindows} labelled), last sequence {HubLastSequence}");
        foreach (var p in _problems.Take(10))
        {
            sb.Append("\n  problem: ").Append(p);
        }

        if (_problems.Count > 10)
        {
            sb.Append($"\n  … and {_problems.Count - 10} more");
        }

        return sb.ToString();
    }

    private void ReadDataset(Parquet.ColumnBatch rows, string edgeId)
    {
        var kinds = rows.String(DeltaSchema.IndexOf("row_kind"));
        var ids = rows.String(DeltaSchema.IndexOf("window_id"));
        var edges = rows.String(DeltaSchema.IndexOf("edge_id"));
        var alerts = rows.String(DeltaSchema.IndexOf("alert_id"));
        var devices = rows.String(DeltaSchema.IndexOf("device_pseudonym"));
        var ends = rows.Int64(DeltaSchema.IndexOf("window_end"));
        var labelColumn = DeltaSchema.IndexOf("label");
        var labelledAtColumn = DeltaSchema.IndexOf("labelled_at");
        var labels = rows.Int32(labelColumn);
        var labelledAt = rows.Int64(labelledAtColumn);
        var labelRows = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < rows.RowCount; i++)
        {
            if (edges[i] != edgeId)
            {
                continue;
            }

            var id = ids[i]!;
            var hasLabel = !rows.IsNull(labelledAtColumn, i);
            int? label = rows.IsNull(labelColumn, i) ? null : labels[i];
            if (kinds[i] == DeltaSchema.RowKindWindow)
            {
                _windowCounts[id] = _windowCounts.GetValueOrDefault(id) + 1;
                if (!_deviceTimelines.TryGetValue(devices[i]!, out var timeline))
                {
                    _deviceTimelines[devices[i]!] = timeline = [];
                }

                timeline.Add(ends[i]);
            }
            else if (!labelRows.Add($"{id}|{alerts[i]}|{labelledAt[i]}"))
            {
                _problems.Add($"label row for window {id} (alert {alerts[i]}) is in the dataset more than once");
            }

            if (hasLabel)
            {
                // A window's label is its own column or, when later, the newest label row (DeltaSchema).
                if (!_labels.TryGetValue(id, out var known) || labelledAt[i] >= known.At)
                {
                    _labels[id] = (labelledAt[i], label);
                }

                if (alerts[i] is { } alert)
                {
                    _labelledAlerts.Add(alert);
                }
            }
        }
    }

    /// <summary>
    /// Breaks in the devices' window time lines: with 1-s frames a device's windows end 1 s apart (device clock), so a longer
    /// step means frames the edge acknowledged (QoS 1) never became windows. Only meaningful while the edge itself stayed up.
    /// </summary>
    public IReadOnlyList<string> DeviceGaps()
    {
        var gaps = new List<string>();
        foreach (var (device, timeline) in _deviceTimelines)
        {
            for (var i = 1; i < timeline.Count; i++)
            {
                var step = timeline[i] - timeline[i - 1];
                if (step > FeatureSchema.HopSeconds * 1_000_000L)
                {
                    gaps.Add($"device {device[..Math.Min(12, device.Length)]}…: no window for {step / 1e6:F0} s after {DateTimeOffset.FromUnixTimeMilliseconds(timeline[i - 1] / 1000):HH:mm:ss}");
                }
            }
        }

        return gaps;
    }

    private void Compare(bool ackedRowsMayBePruned)
    {
        foreach (var (device, timeline) in _deviceTimelines)
        {
            timeline.Sort();
            for (var i = 1; i < timeline.Count; i++)
            {
                if (timeline[i] == timeline[i - 1])
                {
                    _problems.Add($"device {device[..Math.Min(12, device.Length)]}… has two windows ending at {timeline[i]} µs: one frame counted twice");
                }
            }
        }

        foreach (var (id, count) in _windowCounts)
        {
            if (count != 1)
            {
                _problems.Add($"window {id} is in the dataset {count} times");
            }
        }

        foreach (var d in Edge.Deltas)
        {
            if (!d.Acked)
            {
                _problems.Add($"delta {d.Sequence} ({d.Rows} rows) was never acknowledged by the hub");
            }
            else if (d.Status is not ("committed" or "duplicate"))
            {
                _problems.Add($"delta {d.Sequence} was {d.Status}: {d.Reason}");
            }
        }

        var lastSealed = Edge.Deltas.Count == 0 ? 0 : Edge.Deltas[^1].Sequence;
        if (HubLastSequence != lastSealed)
        {
            _problems.Add($"the dataset's last sequence of the edge is {HubLastSequence}, the edge sealed up to {lastSealed}");
        }

        var known = new HashSet<string>(StringComparer.Ordinal);
        foreach (var w in Edge.Windows)
        {
            known.Add(w.WindowId);
            if (w.Sequence is null)
            {
                _problems.Add($"window {w.WindowId} was never sealed");
                continue;
            }

            if (!_windowCounts.ContainsKey(w.WindowId))
            {
                _problems.Add($"window {w.WindowId} (delta {w.Sequence}) is missing from the dataset");
            }

            if (w.Label is not null && (!_labels.TryGetValue(w.WindowId, out var l) || l.Label != w.Label))
            {
                _problems.Add($"window {w.WindowId} is labelled {w.Label} at the edge but {(_labels.TryGetValue(w.WindowId, out var x) ? x.Label?.ToString() ?? "null" : "unlabelled")} in the dataset");
            }
        }

        if (Edge.PendingLabelRows > 0)
        {
            _problems.Add($"{Edge.PendingLabelRows} label rows were never sealed");
        }

        if (!ackedRowsMayBePruned)
        {
            foreach (var id in _windowCounts.Keys)
            {
                if (!known.Contains(id))
                {
                    _problems.Add($"window {id} is in the dataset but not in the edge store");
                }
            }
        }
    }
}
