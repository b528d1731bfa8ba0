using EdgeHub.Contracts;
using EdgeHub.Signals;

namespace EdgeHub.Learning.Data;

/// <summary>
/// Seed windows from annotated WFDB records (e.g. MIT-BIH): each record is one patient, played as 1-second frames through
/// the edge's <see cref="EcgStreamAnalyzer"/> (same features an edge would send), each 10-second window labelled by
/// <see cref="RhythmReference.WindowClass"/> from the record's reference annotations. Windows the reference cannot judge
/// (fewer than two reference beats) are left out.
/// </summary>
public static class WfdbSeed
{
    /// <summary>
    /// DS1 records known to contain atrial fibrillation whose copies here lost the rhythm aux strings (wfdb-python rewrites):
    /// their AF stretches would be labelled from beat codes as normal or ectopy, teaching the model that AF is not AF.
    /// They are not used for training; an evaluation still replays them but has no AF reference for them.
    /// </summary>
    public static IReadOnlyList<string> UnlabelledAtrialFibrillation { get; } = ["201", "203"];

    /// <summary>Patient key of a record in seed datasets and holdout splits.</summary>
    public static string PatientOf(string record) => "wfdb-" + record;

    /// <summary>Records in <paramref name="directory"/> with a header and a reference annotation file, sorted.</summary>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    public static IReadOnlyList<string> FindRecords(string directory) => QrsEvaluation.FindRecords(directory);

    /// <summary>True when a record may be used for training (it is not one of <see cref="UnlabelledAtrialFibrillation"/>).</summary>
    public static bool Trainable(WfdbWindowSet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        return set.Reference.HasRhythmLabels || !UnlabelledAtrialFibrillation.Contains(set.Reference.Record, StringComparer.Ordinal);
    }

    /// <summary>Reads one record (<c>DIR/NAME</c>) and returns its labelled windows and reference.</summary>
    /// <exception cref="FileNotFoundException">A file of the record is missing.</exception>
    /// <exception cref="InvalidDataException">A file is malformed.</exception>
    public static WfdbWindowSet Read(string recordPath, string? signal = null)
    {
        var record = Wfdb.ReadRecord(recordPath);
        var index = QrsEvaluation.SelectSignal(record, signal);
        var rate = RecordFrames.SampleRateOf(record);
        var reference = RhythmReference.Read(recordPath, record.SampleRate, record.Length);
        var analyzer = new EcgStreamAnalyzer(rate);
        var window = (long)FeatureSchema.WindowSeconds * rate;
        var features = new List<float>(record.Length / rate * FeatureSchema.Count);
        var labels = new List<int>(record.Length / rate);
        var ends = new List<long>(record.Length / rate);
        var row = new float[FeatureSchema.Count];
        long end = 0;
        foreach (var frame in RecordFrames.Enumerate(record, index))
        {
            analyzer.Append(frame);
            end += frame.SampleCount;
            if (!analyzer.WindowReady || reference.WindowClass(end - window, end) is not { } cls)
            {
                continue;
            }

            analyzer.WriteFeatures(row);
            features.AddRange(row);
            labels.Add((int)cls);
            ends.Add(end * 1_000_000 / rate);
        }

        return new WfdbWindowSet(new SeedWindows(PatientOf(record.Name), [.. features], [.. labels], [.. ends]), reference);
    }

    /// <summary>
    /// Reads every record of <paramref name="directory"/>; <paramref name="progress"/> hears each record's name as it is done.
    /// </summary>
    public static List<WfdbWindowSet> ReadAll(string directory, Action<string>? progress = null, CancellationToken ct = default)
    {
        var records = FindRecords(directory);
        if (records.Count == 0)
        {
            throw new FileNotFoundException($"no WFDB records with reference annotations (NAME.hea + NAME.atr) in '{directory}'");
        }

        var sets = new List<WfdbWindowSet>(records.Count);
        foreach (var path in records)
        {
            ct.ThrowIfCancellationRequested();
            sets.Add(Read(path));
            progress?.Invoke(Path.GetFileName(path));
        }

        return sets;
    }
}

/// <summary>One record's labelled windows and the reference they were labelled from.</summary>
public sealed record WfdbWindowSet(SeedWindows Windows, RhythmReference Reference);
