using EdgeHub.Contracts;

namespace EdgeHub.Learning.Data;

/// <summary>What happened to the rows while a training set was built (reported with every retrain).</summary>
public sealed record TrainingSetStats
{
    public int WindowRows { get; init; }
    public int LabelRows { get; init; }
    /// <summary>Windows without any label: not used for training or evaluation.</summary>
    public int UnlabelledWindows { get; init; }
    /// <summary>Labels outside 0..5 (ignored).</summary>
    public int InvalidLabels { get; init; }
    /// <summary>Label rows whose window_id has no window row (yet).</summary>
    public int OrphanLabels { get; init; }
    /// <summary>Window rows repeating an earlier window_id (the first is kept).</summary>
    public int DuplicateWindows { get; init; }
    /// <summary>Feature values that were null or not finite and were replaced by the schema default.</summary>
    public long ImputedValues { get; init; }
}

/// <summary>
/// Labelled windows ready for training: features row-major [Count × 32] in <see cref="FeatureSchema"/> order (missing values
/// already imputed with each feature's default), labels as <see cref="RhythmClass"/> indices, and per row whether it is new
/// (its window or its label arrived after the parent model's dataset version) and whether it belongs to the fixed holdout.
/// </summary>
public sealed class TrainingSet
{
    private int[]? _train;
    private int[]? _holdout;
    private int[]? _newTrain;
    private int[]? _oldTrain;

    /// <summary>Wraps prepared arrays (the builder's output, or generated data in benchmarks and tests).</summary>
    public TrainingSet(float[] features, int[] labels, bool[] isNew, bool[] isHoldout, HoldoutDefinition holdout,
        long datasetVersion, long? sinceVersion = null, TrainingSetStats? stats = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(isNew);
        ArgumentNullException.ThrowIfNull(isHoldout);
        ArgumentNullException.ThrowIfNull(holdout);
        var n = labels.Length;
        if (features.Length != n * FeatureCount || isNew.Length != n || isHoldout.Length != n)
        {
            throw new ArgumentException(
                $"{n} labels need {n * FeatureCount} feature values and {n} new/holdout flags; got {features.Length}, {isNew.Length}, {isHoldout.Length}");
        }

        for (var i = 0; i < features.Length; i++)
        {
            if (!float.IsFinite(features[i]))
            {
                throw new ArgumentException(
                    $"feature '{FeatureSchema.Features[i % FeatureCount].Name}' of row {i / FeatureCount} is {features[i]}; impute missing values (TrainingSetBuilder does) before training",
                    nameof(features));
            }
        }

        foreach (var label in labels)
        {
            if ((uint)label >= RhythmClasses.Count)
            {
                throw new ArgumentException($"label {label} is not a rhythm class (0..{RhythmClasses.Count - 1})", nameof(labels));
            }
        }

        Features = features;
        Labels = labels;
        IsNew = isNew;
        IsHoldout = isHoldout;
        Holdout = holdout;
        DatasetVersion = datasetVersion;
        SinceVersion = sinceVersion;
        Stats = stats ?? new TrainingSetStats { WindowRows = n };
    }

    /// <summary>Features per row (<see cref="FeatureSchema.Count"/>).</summary>
    public static int FeatureCount => FeatureSchema.Count;

    public int Count => Labels.Length;

    public float[] Features { get; }

    public int[] Labels { get; }

    public bool[] IsNew { get; }

    public bool[] IsHoldout { get; }

    public HoldoutDefinition Holdout { get; }

    /// <summary>The dataset version the rows were read at.</summary>
    public long DatasetVersion { get; }

    /// <summary>The parent's dataset version: rows after it are "new". Null for a set built without a parent.</summary>
    public long? SinceVersion { get; }

    public TrainingSetStats Stats { get; }

    /// <summary>
    /// Labelled windows new since the parent's dataset version (training and holdout): the count
    /// <see cref="Promotion.RetrainState.NewLabelledRows"/> wants.
    /// </summary>
    public int NewRowCount
    {
        get
        {
            var n = 0;
            foreach (var fresh in IsNew)
            {
                n += fresh ? 1 : 0;
            }

            return n;
        }
    }

    /// <summary>Rows that may be trained on (not in the holdout).</summary>
    public int[] TrainIndices => _train ??= Select(static (_, holdout) => !holdout);

    /// <summary>Rows of the fixed holdout (never trained on).</summary>
    public int[] HoldoutIndices => _holdout ??= Select(static (_, holdout) => holdout);

    /// <summary>Trainable rows that are new since the parent's dataset version.</summary>
    public int[] NewTrainIndices => _newTrain ??= Select(static (isNew, holdout) => isNew && !holdout);

    /// <summary>Trainable rows the parent could already have seen (the replay pool).</summary>
    public int[] OldTrainIndices => _oldTrain ??= Select(static (isNew, holdout) => !isNew && !holdout);

    /// <summary>Holdout rows whose window is new (where a drift shows first).</summary>
    public int[] NewHoldoutIndices => Select(static (isNew, holdout) => isNew && holdout);

    /// <summary>Copies the feature rows at <paramref name="rows"/> into <paramref name="destination"/> (contiguous).</summary>
    public void Gather(ReadOnlySpan<int> rows, Span<float> destination)
    {
        var f = FeatureCount;
        var src = Features.AsSpan();
        for (var i = 0; i < rows.Length; i++)
        {
            src.Slice(rows[i] * f, f).CopyTo(destination.Slice(i * f, f));
        }
    }

    /// <summary>Labels of the rows at <paramref name="rows"/>.</summary>
    public int[] LabelsOf(ReadOnlySpan<int> rows)
    {
        var result = new int[rows.Length];
        for (var i = 0; i < rows.Length; i++)
        {
            result[i] = Labels[rows[i]];
        }

        return result;
    }

    /// <summary>Rows per class among <paramref name="rows"/>.</summary>
    public int[] ClassCounts(ReadOnlySpan<int> rows)
    {
        var counts = new int[RhythmClasses.Count];
        foreach (var r in rows)
        {
            counts[Labels[r]]++;
        }

        return counts;
    }

    private int[] Select(Func<bool, bool, bool> predicate)
    {
        var list = new List<int>();
        for (var i = 0; i < Count; i++)
        {
            if (predicate(IsNew[i], IsHoldout[i]))
            {
                list.Add(i);
            }
        }

        return [.. list];
    }
}
