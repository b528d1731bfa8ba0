using EdgeHub.Contracts;

namespace EdgeHub.Learning.Data;

/// <summary>
/// The labelled windows of one patient for a seed dataset (a synthetic patient or a WFDB record): features row by row in
/// <see cref="FeatureSchema"/> order, one label per window, and the window ends (µs from the patient's first sample).
/// </summary>
public sealed record SeedWindows(string Patient, float[] Features, int[] Labels, long[] WindowEndMicros)
{
    /// <summary>Windows held.</summary>
    public int Count => Labels.Length;

    /// <summary>Features of window <paramref name="i"/>.</summary>
    public ReadOnlySpan<float> Row(int i) => Features.AsSpan(i * FeatureSchema.Count, FeatureSchema.Count);

    /// <summary>Windows per class (<see cref="RhythmClass"/> order).</summary>
    public int[] ClassCounts()
    {
        var counts = new int[RhythmClasses.Count];
        foreach (var l in Labels)
        {
            counts[l]++;
        }

        return counts;
    }

    /// <summary>
    /// A training set of <paramref name="patients"/>: the patient is the holdout key, so every window of a patient (a
    /// record) is on the same side of <paramref name="holdout"/>'s split, as the hub's seed would be.
    /// </summary>
    public static TrainingSet ToTrainingSet(IEnumerable<SeedWindows> patients, HoldoutDefinition? holdout = null, long datasetVersion = 1)
    {
        ArgumentNullException.ThrowIfNull(patients);
        var builder = new TrainingSetBuilder(holdout);
        foreach (var p in patients)
        {
            for (var i = 0; i < p.Count; i++)
            {
                builder.AddWindow($"{p.Patient}/{p.WindowEndMicros[i]}", p.Patient, p.Row(i), p.Labels[i], 0, isNew: true);
            }
        }

        return builder.Build(datasetVersion);
    }
}
