using System.CommandLine;
using System.Text.Json;
using EdgeHub.Cli.Eval;
using EdgeHub.Edge.Models;
using EdgeHub.Learning.Data;
using EdgeHub.Signals;

namespace EdgeHub.Cli.Commands;

/// <summary>
/// <c>edgehub eval rhythm --records DIR [--model FILE | --loro] [--json]</c>: replays every record through the edge's own path
/// (analyzer → features → served model + safety net → alerts) and scores its AF and VT alert episodes like WFDB epicmp
/// (episode and duration Se/+P, first 5 minutes out), per record and gross, plus window classes.
/// </summary>
internal static class EvalRhythmCommand
{
    public static Command Create()
    {
        var records = new Option<DirectoryInfo>("--records")
        {
            Description = "folder of annotated WFDB records (NAME.hea + NAME.dat + NAME.atr), e.g. ../shared/data/mitdb",
            Required = true,
        };
        var model = new Option<FileInfo?>("--model") { Description = "ONNX model to serve (default: the demo hub's first model, trained in-process on synthetic patients)" };
        var loro = new Option<bool>("--loro")
        {
            Description = "leave one record out: for each record, train on the synthetic patients plus every other trainable record, score on it",
        };
        var json = new Option<bool>("--json") { Description = "write the result as JSON on stdout (progress stays on stderr)" };
        var start = new Option<double>("--start")
        {
            Description = "seconds at the start of each record left out of scoring (epicmp -f; EC57 learning period)",
            DefaultValueFactory = _ => EpisodeScoring.DefaultStartSeconds,
        };
        var signal = new Option<string?>("--signal") { Description = "signal to analyse: description (MLII) or index; default: MLII, else signal 0" };
        var rhythm = new Command("rhythm", "score the edge's AF and VT alerts against reference rhythm annotations, like EC57 / WFDB epicmp")
        {
            records, model, loro, json, start, signal,
        };
        rhythm.SetAction((ParseResult pr, CancellationToken ct) =>
        {
            try
            {
                var file = pr.GetValue(model);
                if (file is not null && pr.GetValue(loro))
                {
                    throw new ArgumentException("--model and --loro exclude each other: --loro trains its own model per record");
                }

                return Task.FromResult(Run(pr.GetValue(records)!, file, pr.GetValue(loro), pr.GetValue(json), pr.GetValue(start), pr.GetValue(signal), ct));
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or ArgumentException or UnauthorizedAccessException or ModelRejectedException)
            {
                Console.Error.WriteLine($"edgehub eval rhythm: {ex.Message}");
                return Task.FromResult(1);
            }
        });
        return rhythm;
    }

    private static int Run(DirectoryInfo dir, FileInfo? modelFile, bool loro, bool json, double startSeconds, string? signal, CancellationToken ct)
    {
        if (startSeconds < 0 || !double.IsFinite(startSeconds))
        {
            throw new ArgumentException($"--start must be a non-negative number of seconds, got {startSeconds}");
        }

        var paths = WfdbSeed.FindRecords(dir.FullName);
        if (paths.Count == 0)
        {
            throw new FileNotFoundException($"no WFDB records with reference annotations (NAME.hea + NAME.atr) in '{dir.FullName}'");
        }

        var scores = new List<RhythmRecordScore>(paths.Count);
        string modelText;
        if (loro)
        {
            Progress($"reading {paths.Count} records for training...");
            var sets = paths.Select(p => WfdbSeed.Read(p, signal)).ToList();
            var trainable = sets.Where(WfdbSeed.Trainable).ToList();
            modelText = $"leave-one-record-out: per record, the hub's MLP trained on {RhythmModels.Synthetic.Count} synthetic patients + the other {trainable.Count - 1} trainable records"
                + $" (never on the scored one; {string.Join(", ", WfdbSeed.UnlabelledAtrialFibrillation)} never trained on: AF without rhythm labels)";
            for (var i = 0; i < paths.Count; i++)
            {
                ct.ThrowIfCancellationRequested();
                var name = sets[i].Reference.Record;
                Progress($"{name} ({i + 1}/{paths.Count}): training without it, replaying");
                var patients = RhythmModels.Synthetic.Concat(trainable.Where(s => s.Reference.Record != name).Select(s => s.Windows));
                using var model = RhythmModels.Train(patients, $"loro-{name}", ct);
                scores.Add(RhythmEvaluation.Evaluate(paths[i], model, signal, startSeconds));
            }
        }
        else
        {
            LoadedModel model;
            if (modelFile is not null)
            {
                model = RhythmModels.FromFile(modelFile.FullName);
                modelText = $"{modelFile.FullName} (version {model.Version})";
            }
            else
            {
                Progress("training the demo hub's first model on synthetic patients...");
                model = RhythmModels.Train(RhythmModels.Synthetic, "synthetic-seed", ct);
                modelText = $"synthetic only: the hub's MLP trained in-process on the demo seed ({RhythmModels.Synthetic.Count} synthetic patients, "
                    + $"{RhythmModels.SyntheticSeconds} s each, seed {RhythmModels.Seed})";
            }

            using (model)
            {
                for (var i = 0; i < paths.Count; i++)
                {
                    ct.ThrowIfCancellationRequested();
                    Progress($"{Path.GetFileName(paths[i])} ({i + 1}/{paths.Count})");
                    scores.Add(RhythmEvaluation.Evaluate(paths[i], model, signal, startSeconds));
                }
            }
        }

        if (json)
        {
            Console.WriteLine(RhythmReport.Json(scores, modelText, startSeconds).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }
        else
        {
            RhythmReport.Table(Console.Out, scores, modelText, startSeconds);
        }

        return 0;
    }

    private static void Progress(string text) => Console.Error.WriteLine($"eval rhythm: {text}");
}
