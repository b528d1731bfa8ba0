using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using EdgeHub.Learning.Data;
using EdgeHub.Learning.Evaluation;
using EdgeHub.Learning.Training;
using Spectre.Console;

namespace EdgeHub.Bench;

/// <summary>Settings of <c>./edgehub bench retrain</c>.</summary>
public sealed record RetrainBenchOptions
{
    /// <summary>Labelled rows in the generated regional dataset (parent data + delta).</summary>
    public int Rows { get; init; } = 1_000_000;

    /// <summary>Share of the rows that form the new delta (drifted: a new lead placement).</summary>
    public double DeltaFraction { get; init; } = 0.01;

    public int Seed { get; init; } = 42;

    /// <summary>Also train multinomial logistic regression on the same rows (the architecture comparison).</summary>
    public bool CompareLogistic { get; init; } = true;

    public TrainerOptions Trainer { get; init; } = TrainerOptions.Mlp;
}

/// <summary>
/// Full retrain against differential retrain on a 1 % delta: a region's dataset of generated labelled windows (class-conditional
/// feature distributions shaped like ecg-features-v1, 3 % label noise), whose newest 1 % comes from a drifted population. The
/// parent is a full model of the dataset before the delta; the full retrain trains on everything; the differential retrain warm-starts
/// from the parent on the delta plus a replay sample. Both are scored by macro AUROC on the same fixed holdout (10 % of patients).
/// Targets: time_ratio ≤ 0.10, |metric_diff| ≤ 0.005.
/// </summary>
public static class RetrainBench
{
    /// <summary>
    /// Entry for <c>./edgehub bench retrain [--rows N] [--seed S] [--delta-percent P]</c>, writing to the console; returns 0 when
    /// both targets are met, 1 otherwise.
    /// </summary>
    /// <exception cref="ArgumentException">An option has a bad value.</exception>
    public static Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = new RetrainBenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--rows":
                    options = options with { Rows = Positive("--rows", Next(), 1_000) };
                    break;
                case "--seed":
                    options = options with { Seed = Positive("--seed", Next(), 0) };
                    break;
                case "--delta-percent":
                    var text = Next();
                    options = double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var p) && p > 0 && p < 100
                        ? options with { DeltaFraction = p / 100 }
                        : throw new ArgumentException($"--delta-percent needs a number within (0, 100), got '{text}'");
                    break;
            }
        }

        return RunAsync(options, Console.Out, cancellationToken);
    }

    /// <summary>Runs the benchmark with default settings; returns 0 when both targets are met, 1 otherwise.</summary>
    public static Task<int> RunAsync(TextWriter output, CancellationToken cancellationToken) =>
        RunAsync(new RetrainBenchOptions(), output, cancellationToken);

    /// <summary>Runs the benchmark; prints a table, then the JSON line (also saved as bench/results/retrain.json).</summary>
    public static Task<int> RunAsync(RetrainBenchOptions options, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        // CPU-bound and single-threaded by design: run it off the caller's thread.
        return Task.Run(() => Run(options, output, cancellationToken), cancellationToken);
    }

    private static int Run(RetrainBenchOptions o, TextWriter output, CancellationToken ct)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.Detect });
        if (console.Profile.Width < 150)
        {
            console.Profile.Width = 150; // the table has ten columns; redirected output would otherwise wrap every cell
        }

        var deltaRows = Math.Max(1, (int)Math.Round(o.Rows * o.DeltaFraction));
        var baseRows = o.Rows - deltaRows;
        console.MarkupLine(CultureInfo.InvariantCulture, "[bold]retrain[/]: {0:N0} labelled rows, delta {1:N0} ({2:P1}, drifted)", o.Rows, deltaRows, o.DeltaFraction);

        var clock = Stopwatch.StartNew();
        var old = new SyntheticFeatureGenerator(o.Seed).Generate(baseRows);
        var delta = new SyntheticFeatureGenerator(o.Seed + 1, DriftProfile.NewLeadPlacement).Generate(deltaRows, firstPatient: 10_000_000);
        var parentSet = SyntheticFeatureGenerator.ToTrainingSet(HoldoutDefinition.Default, 1, null, (old, false));
        var set = SyntheticFeatureGenerator.ToTrainingSet(HoldoutDefinition.Default, 2, 1, (old, false), (delta, true));
        old = null;
        console.MarkupLine(CultureInfo.InvariantCulture, "generated in {0:F1} s; holdout {1:N0} rows ({2:N0} from the delta)",
            clock.Elapsed.TotalSeconds, set.HoldoutIndices.Length, set.NewHoldoutIndices.Length);
        ct.ThrowIfCancellationRequested();

        var parent = Timed(() => MlpTrainer.TrainFull(parentSet, o.Trainer, ct));
        var full = Timed(() => MlpTrainer.TrainFull(set, o.Trainer, ct));
        var diff = Timed(() => MlpTrainer.TrainDifferential(set, parent.Result.Model, o.Trainer, ct));
        var logistic = o.CompareLogistic ? Timed(() => MlpTrainer.TrainFull(set, TrainerOptions.LogisticRegression with { Seed = o.Trainer.Seed }, ct)) : null;

        var newHoldout = set.NewHoldoutIndices;
        var mParent = MetricsCalculator.EvaluateHoldout(parent.Result.Model, set);
        var mFull = MetricsCalculator.EvaluateHoldout(full.Result.Model, set);
        var mDiff = MetricsCalculator.EvaluateHoldout(diff.Result.Model, set);
        var mLogistic = logistic is null ? null : MetricsCalculator.EvaluateHoldout(logistic.Result.Model, set);
        var nParent = MetricsCalculator.Evaluate(parent.Result.Model, set, newHoldout);
        var nFull = MetricsCalculator.Evaluate(full.Result.Model, set, newHoldout);
        var nDiff = MetricsCalculator.Evaluate(diff.Result.Model, set, newHoldout);
        var nLogistic = logistic is null ? null : MetricsCalculator.Evaluate(logistic.Result.Model, set, newHoldout);

        var table = new Table().Title("full vs differential retrain").AddColumns("model", "rows trained", "wall s", "cpu s",
            "macro AUROC", "AF sens", "VT sens", "ECE", "delta-holdout AUROC", "delta-holdout acc");
        AddRow(table, "parent (full, before delta)", parent, mParent, nParent);
        AddRow(table, "full retrain " + full.Result.Model.Architecture, full, mFull, nFull);
        AddRow(table, "differential retrain", diff, mDiff, nDiff);
        if (logistic is not null)
        {
            AddRow(table, "full retrain " + logistic.Result.Model.Architecture, logistic, mLogistic!, nLogistic!);
        }

        console.Write(table);

        var ratio = diff.Wall.TotalSeconds / full.Wall.TotalSeconds;
        var metricDiff = mDiff.MacroAuroc - mFull.MacroAuroc;
        var met = ratio <= 0.10 && Math.Abs(metricDiff) <= 0.005;
        console.MarkupLine(CultureInfo.InvariantCulture,
            "time ratio {0:F3} (target ≤ 0.10), macro AUROC diff {1:+0.0000;-0.0000} (target |·| ≤ 0.005): {2}",
            ratio, metricDiff, met ? "[green]met[/]" : "[red]missed[/]");

        var json = new JsonObject
        {
            ["bench"] = "retrain",
            ["full_s"] = Round(full.Wall.TotalSeconds, 3),
            ["diff_s"] = Round(diff.Wall.TotalSeconds, 3),
            ["time_ratio"] = Round(ratio, 4),
            ["metric"] = "macro_auroc",
            ["full_metric"] = Round(mFull.MacroAuroc, 5),
            ["diff_metric"] = Round(mDiff.MacroAuroc, 5),
            ["metric_diff"] = Round(metricDiff, 5),
            ["rows"] = o.Rows,
            ["delta_rows"] = deltaRows,
            ["diff_rows_trained"] = diff.Result.TrainRows,
            ["architecture"] = full.Result.Model.Architecture,
            ["full_cpu_s"] = Round(full.Cpu.TotalSeconds, 3),
            ["diff_cpu_s"] = Round(diff.Cpu.TotalSeconds, 3),
            ["parent_metric"] = Round(mParent.MacroAuroc, 5),
            ["delta_holdout_parent_metric"] = Round(nParent.MacroAuroc, 5),
            ["delta_holdout_diff_metric"] = Round(nDiff.MacroAuroc, 5),
            ["logreg_full_s"] = logistic is null ? null : Round(logistic.Wall.TotalSeconds, 3),
            ["logreg_metric"] = mLogistic is null ? null : Round(mLogistic.MacroAuroc, 5),
            ["targets_met"] = met,
        };
        BenchResult.Write("retrain", json, output);
        return met ? 0 : 1;
    }

    private static void AddRow(Table table, string name, Timing<TrainingResult> run, ClassificationMetrics all, ClassificationMetrics delta)
    {
        var ci = CultureInfo.InvariantCulture;
        table.AddRow(
            Markup.Escape(name),
            run.Result.TrainRows.ToString("N0", ci),
            run.Wall.TotalSeconds.ToString("F2", ci),
            run.Cpu.TotalSeconds.ToString("F2", ci),
            all.MacroAuroc.ToString("F4", ci),
            all.Classes[1].Sensitivity.ToString("F3", ci),
            all.Classes[3].Sensitivity.ToString("F3", ci),
            all.Ece.ToString("F4", ci),
            delta.MacroAuroc.ToString("F4", ci),
            delta.Accuracy.ToString("F4", ci));
    }

    private static int Positive(string name, string text, int minimum) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= minimum
            ? v
            : throw new ArgumentException($"{name} needs an integer ≥ {minimum}, got '{text}'");

    /// <summary>Rounded for the JSON line; null when undefined (NaN: e.g. a metric on an empty delta holdout), which JSON cannot carry.</summary>
    private static double? Round(double v, int digits) => double.IsFinite(v) ? Math.Round(v, digits, MidpointRounding.AwayFromZero) : null;

    private static Timing<T> Timed<T>(Func<T> work)
    {
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        var result = work();
        wall.Stop();
        return new Timing<T>(result, wall.Elapsed, Process.GetCurrentProcess().TotalProcessorTime - cpu);
    }

    private sealed record Timing<T>(T Result, TimeSpan Wall, TimeSpan Cpu);
}
