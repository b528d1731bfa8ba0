using EdgeHub.Contracts;
using EdgeHub.Parquet;

namespace EdgeHub.Learning.Data;

/// <summary>
/// Builds a <see cref="TrainingSet"/> from regional dataset rows (<see cref="DeltaSchema"/>): window rows give features,
/// a window's label is its own label column or, if newer by labelled_at, the newest label row with its window_id
/// (label rows may arrive in later deltas than their window). Only labelled windows are kept; null or non-finite features are
/// imputed with <see cref="FeatureDefinition.Default"/>. A window is "new" when its window row or the label that wins arrived
/// after the parent's dataset version: a freshly labelled old window is new information too.
/// </summary>
public sealed class TrainingSetBuilder
{
    private const long NoTimestamp = long.MinValue;

    private readonly HoldoutDefinition _holdout;
    private readonly Dictionary<string, int> _windowIndex = new(StringComparer.Ordinal);
    private readonly List<float> _features = [];
    private readonly List<Window> _windows = [];
    private readonly Dictionary<string, PendingLabel> _orphans = new(StringComparer.Ordinal);
    private int _windowRows;
    private int _labelRows;
    private int _invalidLabels;
    private int _duplicates;
    private long _imputed;

    /// <summary>Creates a builder that assigns rows to <paramref name="holdout"/>.</summary>
    public TrainingSetBuilder(HoldoutDefinition? holdout = null)
    {
        _holdout = holdout ?? HoldoutDefinition.Default;
        if (_holdout.Key is not ("patient" or "window"))
        {
            throw new ArgumentException($"holdout key '{_holdout.Key}' is not supported; use \"patient\" or \"window\"", nameof(holdout));
        }
    }

    /// <summary>
    /// Adds every row of a batch read from the regional table. <paramref name="addedSinceParent"/> says whether the batch comes
    /// from commits after the parent model's dataset version (read them with DeltaTable.ReadRows(version, sinceVersion)).
    /// </summary>
    /// <exception cref="ArgumentException">A required column is missing or has the wrong type.</exception>
    public void Add(ColumnBatch batch, bool addedSinceParent)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var cols = DeltaColumns.Resolve(batch.Schema);
        var rowKind = batch.String(cols.RowKind);
        var windowId = batch.String(cols.WindowId);
        var patient = batch.String(cols.Patient);
        var label = batch.Int32(cols.Label);
        var labelValid = batch.Valid(cols.Label);
        var labelledAt = batch.Int64(cols.LabelledAt);
        var labelledAtValid = batch.Valid(cols.LabelledAt);
        // Column-wise copy first: one span per feature column instead of one lookup per value.
        var f32 = FeatureSchema.Count;
        var matrix = new float[batch.RowCount * f32];
        for (var f = 0; f < f32; f++)
        {
            var values = batch.Float(cols.Features[f]);
            var nullable = batch.Schema.Fields[cols.Features[f]].Nullable;
            var valid = nullable ? batch.Valid(cols.Features[f]) : default;
            for (var r = 0; r < batch.RowCount; r++)
            {
                matrix[(r * f32) + f] = !nullable || valid[r] ? values[r] : float.NaN;
            }
        }

        for (var r = 0; r < batch.RowCount; r++)
        {
            var id = windowId[r] ?? throw new ArgumentException($"row {r} has a null window_id; every dataset row needs one");
            var at = labelledAtValid[r] ? labelledAt[r] : NoTimestamp;
            int? lab = labelValid[r] ? label[r] : null;
            if (string.Equals(rowKind[r], DeltaSchema.RowKindLabel, StringComparison.Ordinal))
            {
                if (lab is { } l)
                {
                    AddLabel(id, l, at, addedSinceParent);
                }
                else
                {
                    _labelRows++; // an "acknowledge": seen, no label
                }

                continue;
            }

            var key = _holdout.Key == "patient" ? patient[r] ?? id : id;
            AddWindow(id, key, matrix.AsSpan(r * f32, f32), lab, at, addedSinceParent);
        }
    }

    /// <summary>Adds one window row. NaN features count as missing. <paramref name="labelledAtMicros"/>: long.MinValue when unknown.</summary>
    public void AddWindow(string windowId, string holdoutKey, ReadOnlySpan<float> features, int? label, long labelledAtMicros, bool isNew)
    {
        ArgumentNullException.ThrowIfNull(windowId);
        ArgumentNullException.ThrowIfNull(holdoutKey);
        if (features.Length != FeatureSchema.Count)
        {
            throw new ArgumentException($"a window has {FeatureSchema.Count} features ({FeatureSchema.Id}); got {features.Length}", nameof(features));
        }

        _windowRows++;
        if (_windowIndex.ContainsKey(windowId))
        {
            _duplicates++;
            return;
        }

        var defs = FeatureSchema.Features;
        for (var f = 0; f < features.Length; f++)
        {
            var v = features[f];
            if (!float.IsFinite(v))
            {
                v = defs[f].Default;
                _imputed++;
            }

            _features.Add(v);
        }

        var w = new Window { IsNew = isNew, IsHoldout = _holdout.IsHoldout(holdoutKey), Label = -1, LabelAt = NoTimestamp };
        if (label is { } l)
        {
            Apply(ref w, l, labelledAtMicros, isNew);
        }

        if (_orphans.Remove(windowId, out var pending))
        {
            Apply(ref w, pending.Label, pending.At, pending.IsNew);
        }

        _windowIndex.Add(windowId, _windows.Count);
        _windows.Add(w);
    }

    /// <summary>Adds one label row (a clinician's answer about <paramref name="windowId"/>).</summary>
    public void AddLabel(string windowId, int label, long labelledAtMicros, bool isNew)
    {
        ArgumentNullException.ThrowIfNull(windowId);
        _labelRows++;
        if ((uint)label >= RhythmClasses.Count)
        {
            _invalidLabels++;
            return;
        }

        if (_windowIndex.TryGetValue(windowId, out var index))
        {
            var w = _windows[index];
            Apply(ref w, label, labelledAtMicros, isNew);
            _windows[index] = w;
            return;
        }

        // The window row may come in a later batch; keep the newest label until it does.
        if (!_orphans.TryGetValue(windowId, out var existing) || labelledAtMicros >= existing.At)
        {
            _orphans[windowId] = new PendingLabel(label, labelledAtMicros, isNew);
        }
    }

    /// <summary>The labelled windows as a training set at <paramref name="datasetVersion"/>.</summary>
    public TrainingSet Build(long datasetVersion, long? sinceVersion = null)
    {
        var n = 0;
        foreach (var w in _windows)
        {
            if (w.Label >= 0)
            {
                n++;
            }
        }

        var f = FeatureSchema.Count;
        var features = new float[n * f];
        var labels = new int[n];
        var isNew = new bool[n];
        var isHoldout = new bool[n];
        var j = 0;
        for (var i = 0; i < _windows.Count; i++)
        {
            var w = _windows[i];
            if (w.Label < 0)
            {
                continue;
            }

            for (var k = 0; k < f; k++)
            {
                features[(j * f) + k] = _features[(i * f) + k];
            }

            labels[j] = w.Label;
            isNew[j] = w.IsNew;
            isHoldout[j] = w.IsHoldout;
            j++;
        }

        var stats = new TrainingSetStats
        {
            WindowRows = _windowRows,
            LabelRows = _labelRows,
            UnlabelledWindows = _windows.Count - n,
            InvalidLabels = _invalidLabels,
            OrphanLabels = _orphans.Count,
            DuplicateWindows = _duplicates,
            ImputedValues = _imputed,
        };
        return new TrainingSet(features, labels, isNew, isHoldout, _holdout, datasetVersion, sinceVersion, stats);
    }

    private void Apply(ref Window w, int label, long at, bool isNew)
    {
        if ((uint)label >= RhythmClasses.Count)
        {
            _invalidLabels++;
            return;
        }

        // The newest answer wins; on equal timestamps the later row does (a relabel sent in the same second).
        if (w.Label < 0 || at >= w.LabelAt)
        {
            w.Label = label;
            w.LabelAt = at;
            w.IsNew |= isNew;
        }
    }

    private struct Window
    {
        public int Label;
        public long LabelAt;
        public bool IsNew;
        public bool IsHoldout;
    }

    private readonly record struct PendingLabel(int Label, long At, bool IsNew);
}
