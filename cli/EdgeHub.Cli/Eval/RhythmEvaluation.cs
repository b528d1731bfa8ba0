using EdgeHub.Contracts;
using EdgeHub.Edge.Models;
using EdgeHub.Edge.Replay;
using EdgeHub.Signals;

namespace EdgeHub.Cli.Eval;

/// <summary>Window-level counts of one class: reference windows of the class against windows the model gave that class.</summary>
internal readonly record struct WindowScore(int TruePositives, int FalsePositives, int FalseNegatives, int TrueNegatives)
{
    public double Sensitivity => Ratio(TruePositives, TruePositives + FalseNegatives);
    public double PositivePredictivity => Ratio(TruePositives, TruePositives + FalsePositives);
    public double Specificity => Ratio(TrueNegatives, TrueNegatives + FalsePositives);

    public static WindowScore operator +(WindowScore a, WindowScore b) => new(
        a.TruePositives + b.TruePositives, a.FalsePositives + b.FalsePositives, a.FalseNegatives + b.FalseNegatives, a.TrueNegatives + b.TrueNegatives);

    private static double Ratio(int n, int d) => d == 0 ? double.NaN : (double)n / d;
}

/// <summary>
/// One record scored: VT episodes against the beat-derived runs (every record) and against (VT aux strings, AF episodes
/// against (AFIB/(AFL aux strings (both only where the file keeps aux strings: null otherwise), and window classes.
/// </summary>
internal sealed record RhythmRecordScore(
    string Record,
    bool HasRhythmLabels,
    EpisodeScore VtRuns,
    EpisodeScore? VtAux,
    EpisodeScore? AfAux,
    WindowScore VtWindows,
    WindowScore? AfWindows,
    int ModelAlerts,
    int SafetyAlerts);

/// <summary>Replays a record through the edge (<see cref="RecordReplay"/>) and scores it against <see cref="RhythmReference"/>.</summary>
internal static class RhythmEvaluation
{
    /// <summary>Alert kinds that report VT: the model's class and the safety net's fast-wide run.</summary>
    public static readonly string[] VtKinds = ["vt", "vt_run"];

    /// <summary>Alert kinds that report AF.</summary>
    public static readonly string[] AfKinds = ["af"];

    public static RhythmRecordScore Evaluate(string recordPath, LoadedModel? model, string? signal, double startSeconds)
    {
        var record = Wfdb.ReadRecord(recordPath);
        var index = QrsEvaluation.SelectSignal(record, signal);
        var replay = RecordReplay.Run(record, index, model);
        var reference = RhythmReference.Read(recordPath, record.SampleRate, record.Length);
        return Score(replay, reference, startSeconds);
    }

    /// <summary>Scores one replay against its reference from <paramref name="startSeconds"/> on.</summary>
    public static RhythmRecordScore Score(ReplayResult replay, RhythmReference reference, double startSeconds)
    {
        var rate = replay.SampleRate;
        var from = (long)(startSeconds * rate);
        var to = replay.Length;
        var vt = replay.Episodes(VtKinds);
        var af = replay.Episodes(AfKinds);
        var labelled = reference.HasRhythmLabels;
        var window = (long)FeatureSchema.WindowSeconds * rate;
        WindowScore vtWindows = default, afWindows = default;
        for (var w = 0; w < replay.WindowEnds.Length; w++)
        {
            var end = replay.WindowEnds[w];
            if (end - window < from || reference.WindowClass(end - window, end) is not { } truth)
            {
                continue;
            }

            var predicted = replay.WindowClasses[w];
            vtWindows += Count(truth == RhythmClass.VentricularTachycardia, predicted == (int)RhythmClass.VentricularTachycardia);
            afWindows += Count(truth == RhythmClass.AtrialFibrillation, predicted == (int)RhythmClass.AtrialFibrillation);
        }

        return new RhythmRecordScore(
            replay.Record,
            labelled,
            EpisodeScoring.Score(reference.VentricularRuns, vt, from, to, rate),
            labelled ? EpisodeScoring.Score(reference.VentricularTachycardiaAux, vt, from, to, rate) : null,
            labelled ? EpisodeScoring.Score(reference.AtrialFibrillation, af, from, to, rate) : null,
            vtWindows,
            labelled ? afWindows : null,
            replay.Alerts.Count(a => a.Source == "model"),
            replay.Alerts.Count(a => a.Source == "safety"));
    }

    private static WindowScore Count(bool truth, bool predicted) => (truth, predicted) switch
    {
        (true, true) => new WindowScore(1, 0, 0, 0),
        (false, true) => new WindowScore(0, 1, 0, 0),
        (true, false) => new WindowScore(0, 0, 1, 0),
        _ => new WindowScore(0, 0, 0, 1),
    };
}
