using System.CommandLine;
using System.Globalization;
using EdgeHub.Signals;

namespace EdgeHub.Cli.Commands;

/// <summary>
/// <c>edgehub eval qrs --records DIR [--start SECONDS]</c>: runs the streaming QRS detector over every WFDB record in DIR and
/// scores it like WFDB bxb (150 ms match window, first 300 s excluded). The last line is the pooled result.
/// </summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var records = new Option<DirectoryInfo>("--records")
        {
            Description = "folder of WFDB records (NAME.hea + NAME.dat + NAME.atr), e.g. ../shared/data/mitdb",
            Required = true,
        };
        var start = new Option<double>("--start")
        {
            Description = "seconds at the start of each record left out of scoring (EC57 learning period)",
            DefaultValueFactory = _ => BeatScoring.DefaultStartSeconds,
        };
        var signal = new Option<string?>("--signal") { Description = "signal to analyse: description (MLII) or index; default: MLII, else signal 0" };
        var window = new Option<double>("--window-ms")
        {
            Description = "match window in milliseconds",
            DefaultValueFactory = _ => BeatScoring.DefaultMatchWindowSeconds * 1000,
        };
        var qrs = new Command("qrs", "score the QRS detector against reference beat annotations, like WFDB bxb") { records, start, signal, window };
        qrs.SetAction((ParseResult pr, CancellationToken ct) =>
        {
            try
            {
                return Task.FromResult(Run(pr.GetValue(records)!, pr.GetValue(start), pr.GetValue(signal), pr.GetValue(window), ct));
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or ArgumentException or UnauthorizedAccessException)
            {
                // Bad input is the user's to fix: one line saying what and where, no stack trace.
                Console.Error.WriteLine($"edgehub eval qrs: {ex.Message}");
                return Task.FromResult(1);
            }
        });
        return new Command("eval", "score beat detection like WFDB bxb, rhythm alerts like EC57 / epicmp") { qrs, EvalRhythmCommand.Create() };
    }

    private static int Run(DirectoryInfo dir, double startSeconds, string? signal, double windowMs, CancellationToken ct)
    {
        if (startSeconds < 0 || !double.IsFinite(startSeconds))
        {
            throw new ArgumentException($"--start must be a non-negative number of seconds, got {startSeconds}");
        }

        if (windowMs <= 0 || !double.IsFinite(windowMs))
        {
            throw new ArgumentException($"--window-ms must be positive, got {windowMs}");
        }

        var paths = QrsEvaluation.FindRecords(dir.FullName);
        if (paths.Count == 0)
        {
            throw new FileNotFoundException($"no WFDB records with reference annotations (NAME.hea + NAME.atr) in '{dir.FullName}'");
        }

        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(inv, $"{"record",-8}{"signal",-8}{"TP",7}{"FP",6}{"FN",6}{"Se %",9}{"+P %",9}"));
        var pooled = new BeatScore();
        long samples = 0;
        var time = TimeSpan.Zero;
        double maxDelay = 0;
        foreach (var path in paths)
        {
            ct.ThrowIfCancellationRequested();
            var r = QrsEvaluation.EvaluateRecord(path, signal, startSeconds, windowMs / 1000);
            var s = r.Score;
            Console.WriteLine(string.Create(inv,
                $"{r.Record,-8}{r.Signal,-8}{s.TruePositives,7}{s.FalsePositives,6}{s.FalseNegatives,6}{s.Sensitivity * 100,9:F2}{s.PositivePredictivity * 100,9:F2}"));
            pooled += s;
            samples += r.Samples;
            time += r.DetectorTime;
            maxDelay = Math.Max(maxDelay, r.MaxDelaySeconds);
        }

        Console.WriteLine(string.Create(inv,
            $"{paths.Count} records, {samples:N0} samples, detector {time.TotalMilliseconds * 1000 / samples:F3} µs/sample, max report delay {maxDelay * 1000:F0} ms"));
        Console.WriteLine(string.Create(inv,
            $"pooled Se={pooled.Sensitivity * 100:F2}% +P={pooled.PositivePredictivity * 100:F2}% (TP={pooled.TruePositives}, FP={pooled.FalsePositives}, FN={pooled.FalseNegatives})"));
        return 0;
    }
}
