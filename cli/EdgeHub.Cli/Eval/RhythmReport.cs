using System.Globalization;
using System.Text.Json.Nodes;
using EdgeHub.Signals;

namespace EdgeHub.Cli.Eval;

/// <summary>Table and JSON output of <c>eval rhythm</c>: which reference each figure uses is always said beside it.</summary>
internal static class RhythmReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public const string VtRunsReference = "runs of >= 3 consecutive V beats from the reference beat labels (every record)";
    public const string AuxReference = "rhythm aux strings of the .atr";

    public static void Table(TextWriter o, IReadOnlyList<RhythmRecordScore> scores, string model, double startSeconds)
    {
        var aux = scores.Where(s => s.HasRhythmLabels).Select(s => s.Record).ToList();
        var noAux = scores.Where(s => !s.HasRhythmLabels).Select(s => s.Record).ToList();
        o.WriteLine($"model: {model}");
        o.WriteLine(string.Create(Inv, $"scoring from {startSeconds:F0} s into each record (epicmp -f); test episodes = the edge's alerts (VT: model 'vt' + safety 'vt_run'; AF: model 'af')"));
        o.WriteLine();
        Section(o, $"VT episodes; reference: {VtRunsReference}", scores.Select(s => (s.Record, (EpisodeScore?)s.VtRuns)));
        Section(o, $"VT episodes; reference: (VT {AuxReference} ({Names(aux)}); none in {Names(noAux)}", scores.Select(s => (s.Record, s.VtAux)));
        Section(o, $"AF episodes; reference: (AFIB/(AFL {AuxReference} ({Names(aux)}); no AF reference in {Names(noAux)}", scores.Select(s => (s.Record, s.AfAux)));
        var vtw = scores.Aggregate(default(WindowScore), (a, s) => a + s.VtWindows);
        var afw = scores.Where(s => s.AfWindows is not null).Aggregate(default(WindowScore), (a, s) => a + s.AfWindows!.Value);
        o.WriteLine("windows (10 s, one a second; reference class from the annotations; the model's class = arg max):");
        o.WriteLine(string.Create(Inv, $"  VT: Se={P(vtw.Sensitivity)} +P={P(vtw.PositivePredictivity)} Sp={P(vtw.Specificity)} (TP={vtw.TruePositives}, FP={vtw.FalsePositives}, FN={vtw.FalseNegatives}, TN={vtw.TrueNegatives}); reference: V runs or (VT"));
        o.WriteLine(string.Create(Inv, $"  AF: Se={P(afw.Sensitivity)} +P={P(afw.PositivePredictivity)} Sp={P(afw.Specificity)} (TP={afw.TruePositives}, FP={afw.FalsePositives}, FN={afw.FalseNegatives}, TN={afw.TrueNegatives}); records {Names(aux)} only"));
        o.WriteLine(string.Create(Inv, $"alerts: {scores.Sum(s => s.ModelAlerts)} from the model, {scores.Sum(s => s.SafetyAlerts)} from the safety net, over {scores.Count} records"));
    }

    public static JsonObject Json(IReadOnlyList<RhythmRecordScore> scores, string model, double startSeconds)
    {
        var records = new JsonArray();
        foreach (var s in scores)
        {
            records.Add(new JsonObject
            {
                ["record"] = s.Record,
                ["has_rhythm_labels"] = s.HasRhythmLabels,
                ["vt_runs"] = Episode(s.VtRuns),
                ["vt_aux"] = s.VtAux is { } v ? Episode(v) : null,
                ["af_aux"] = s.AfAux is { } a ? Episode(a) : null,
                ["vt_windows"] = Windows(s.VtWindows),
                ["af_windows"] = s.AfWindows is { } w ? Windows(w) : null,
                ["model_alerts"] = s.ModelAlerts,
                ["safety_alerts"] = s.SafetyAlerts,
            });
        }

        return new JsonObject
        {
            ["model"] = model,
            ["start_seconds"] = startSeconds,
            ["references"] = new JsonObject
            {
                ["vt_runs"] = VtRunsReference,
                ["vt_aux"] = "(VT " + AuxReference,
                ["af_aux"] = "(AFIB/(AFL " + AuxReference,
                ["records_with_rhythm_labels"] = new JsonArray([.. scores.Where(s => s.HasRhythmLabels).Select(s => (JsonNode)s.Record)]),
            },
            ["records"] = records,
            ["gross"] = new JsonObject
            {
                ["vt_runs"] = Episode(scores.Aggregate(default(EpisodeScore), (x, s) => x + s.VtRuns)),
                ["vt_aux"] = Episode(scores.Where(s => s.VtAux is not null).Aggregate(default(EpisodeScore), (x, s) => x + s.VtAux!.Value)),
                ["af_aux"] = Episode(scores.Where(s => s.AfAux is not null).Aggregate(default(EpisodeScore), (x, s) => x + s.AfAux!.Value)),
                ["vt_windows"] = Windows(scores.Aggregate(default(WindowScore), (x, s) => x + s.VtWindows)),
                ["af_windows"] = Windows(scores.Where(s => s.AfWindows is not null).Aggregate(default(WindowScore), (x, s) => x + s.AfWindows!.Value)),
            },
        };
    }

    private static void Section(TextWriter o, string title, IEnumerable<(string Record, EpisodeScore? Score)> rows)
    {
        o.WriteLine(title);
        o.WriteLine(string.Create(Inv, $"{"record",-8}{"ref",5}{"det",5}{"test",6}{"true",6}{"Se %",8}{"+P %",8}{"ref s",9}{"test s",9}{"dSe %",8}{"d+P %",8}"));
        var gross = default(EpisodeScore);
        var n = 0;
        foreach (var (record, score) in rows)
        {
            if (score is not { } s)
            {
                continue;
            }

            o.WriteLine(Row(record, s));
            gross += s;
            n++;
        }

        o.WriteLine(Row($"gross", gross) + string.Create(Inv, $"   ({n} records)"));
        o.WriteLine();
    }

    private static string Row(string name, EpisodeScore s) => string.Create(Inv,
        $"{name,-8}{s.ReferenceEpisodes,5}{s.DetectedReference,5}{s.TestEpisodes,6}{s.TrueTest,6}{P(s.Sensitivity),8}{P(s.PositivePredictivity),8}{s.ReferenceSeconds,9:F0}{s.TestSeconds,9:F0}{P(s.DurationSensitivity),8}{P(s.DurationPositivePredictivity),8}");

    private static string P(double v) => double.IsNaN(v) ? "-" : (v * 100).ToString("F1", Inv);

    private static string Names(List<string> names) => names.Count == 0 ? "no record" : string.Join(", ", names);

    private static JsonObject Episode(EpisodeScore s) => new()
    {
        ["reference_episodes"] = s.ReferenceEpisodes,
        ["detected_reference"] = s.DetectedReference,
        ["test_episodes"] = s.TestEpisodes,
        ["true_test"] = s.TrueTest,
        ["reference_seconds"] = Math.Round(s.ReferenceSeconds, 2),
        ["test_seconds"] = Math.Round(s.TestSeconds, 2),
        ["overlap_seconds"] = Math.Round(s.OverlapSeconds, 2),
        ["se"] = Num(s.Sensitivity),
        ["ppv"] = Num(s.PositivePredictivity),
        ["duration_se"] = Num(s.DurationSensitivity),
        ["duration_ppv"] = Num(s.DurationPositivePredictivity),
    };

    private static JsonObject Windows(WindowScore w) => new()
    {
        ["tp"] = w.TruePositives,
        ["fp"] = w.FalsePositives,
        ["fn"] = w.FalseNegatives,
        ["tn"] = w.TrueNegatives,
        ["se"] = Num(w.Sensitivity),
        ["ppv"] = Num(w.PositivePredictivity),
        ["sp"] = Num(w.Specificity),
    };

    private static JsonValue? Num(double v) => double.IsNaN(v) ? null : JsonValue.Create(Math.Round(v, 4));
}
