using System.Diagnostics;

namespace EdgeHub.Signals;

/// <summary>Result of running the detector over one WFDB record and scoring it against the reference annotations.</summary>
/// <param name="Record">Record name.</param>
/// <param name="Signal">Description of the signal the detector saw (e.g. "MLII").</param>
/// <param name="Score">bxb-style counts.</param>
/// <param name="Samples">Samples fed to the detector.</param>
/// <param name="DetectorTime">Time spent inside <see cref="QrsDetector.Process"/> (file reading excluded).</param>
/// <param name="MaxDelaySeconds">Largest delay between an R peak and its report.</param>
public sealed record QrsRecordResult(string Record, string Signal, BeatScore Score, long Samples, TimeSpan DetectorTime, double MaxDelaySeconds);

/// <summary>Runs <see cref="QrsDetector"/> over WFDB records and scores it like WFDB <c>bxb</c>.</summary>
public static class QrsEvaluation
{
    /// <summary>Records in <paramref name="directory"/> that have both a header and a reference annotation file (<c>.atr</c>), sorted.</summary>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    public static IReadOnlyList<string> FindRecords(string directory)
    {
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"records directory '{directory}' does not exist; pass a folder holding NAME.hea, NAME.dat and NAME.atr");
        }

        var names = new List<string>();
        foreach (var header in Directory.EnumerateFiles(directory, "*.hea"))
        {
            var path = Path.ChangeExtension(header, null);
            if (File.Exists(path + ".atr"))
            {
                names.Add(path);
            }
        }

        names.Sort(StringComparer.Ordinal);
        return names;
    }

    /// <summary>
    /// Detects beats on one signal of a record and scores them against <c>RECORD.atr</c>.
    /// The signal is chosen by <paramref name="signal"/>: a description (e.g. "MLII"), an index, or null for the first signal
    /// described as MLII, else signal 0.
    /// </summary>
    public static QrsRecordResult EvaluateRecord(
        string recordPath,
        string? signal = null,
        double startSeconds = BeatScoring.DefaultStartSeconds,
        double matchWindowSeconds = BeatScoring.DefaultMatchWindowSeconds)
    {
        var record = Wfdb.ReadRecord(recordPath);
        var reference = Wfdb.ReadAnnotations(recordPath + ".atr", (int)Math.Round(record.SampleRate));
        var index = SelectSignal(record, signal);
        var rate = (int)Math.Round(record.SampleRate);
        if (Math.Abs(rate - record.SampleRate) > 1e-6)
        {
            throw new InvalidDataException($"record '{record.Name}': sampling frequency {record.SampleRate} Hz is not a whole number; the detector needs an integer rate");
        }

        var detector = new QrsDetector(rate);
        var info = record.Signals[index];
        var data = record.Samples[index];
        var scale = 1.0 / info.Gain;
        var beats = new List<long>(data.Length / rate * 3);
        long maxDelay = 0;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < data.Length; i++)
        {
            if (detector.Process((float)((data[i] - info.Baseline) * scale), out var beat))
            {
                beats.Add(beat.SampleIndex);
                maxDelay = Math.Max(maxDelay, i - beat.SampleIndex);
            }
        }

        clock.Stop();
        var score = BeatScoring.Score(reference, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(beats), record.SampleRate, startSeconds, matchWindowSeconds);
        var name = info.Description.Length > 0 ? info.Description : $"signal {index}";
        return new QrsRecordResult(record.Name, name, score, data.Length, clock.Elapsed, maxDelay / record.SampleRate);
    }

    /// <summary>The signal to analyse: a description (MLII), an index, or null for the first MLII signal, else signal 0.</summary>
    /// <exception cref="ArgumentException">No such signal.</exception>
    public static int SelectSignal(WfdbRecord record, string? signal)
    {
        if (string.IsNullOrEmpty(signal))
        {
            var mlii = record.IndexOfSignal("MLII");
            return mlii >= 0 ? mlii : 0;
        }

        if (int.TryParse(signal, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var i))
        {
            return i >= 0 && i < record.Signals.Count
                ? i
                : throw new ArgumentException($"record '{record.Name}' has signals 0..{record.Signals.Count - 1}, not {i}");
        }

        var byName = record.IndexOfSignal(signal);
        return byName >= 0
            ? byName
            : throw new ArgumentException($"record '{record.Name}' has no signal described as '{signal}'");
    }
}
