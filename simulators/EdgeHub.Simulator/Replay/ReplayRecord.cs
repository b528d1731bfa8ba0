using EdgeHub.Signals;

namespace EdgeHub.Simulator;

/// <summary>
/// One WFDB record ready to replay: its ECG lead resampled to the device rate in ADC units of <see cref="SyntheticEcg.Gain"/>
/// per mV (baseline 0), its beats at the device rate, and rhythm episodes derived from its annotations.
/// </summary>
public sealed class ReplayRecord
{
    private ReplayRecord(string name, int sampleRate, short[] samples, double[] beats, char[] symbols, EpisodeOccurrence[] episodes)
    {
        Name = name;
        SampleRate = sampleRate;
        Samples = samples;
        BeatSamples = beats;
        BeatSymbols = symbols;
        Episodes = episodes;
    }

    /// <summary>Record name (e.g. "101").</summary>
    public string Name { get; }
    /// <summary>Device sample rate the record was resampled to.</summary>
    public int SampleRate { get; }
    /// <summary>ECG samples at <see cref="SampleRate"/>, 200 units per mV.</summary>
    public short[] Samples { get; }
    /// <summary>Beat positions (fractional sample index at <see cref="SampleRate"/>), ascending.</summary>
    public double[] BeatSamples { get; }
    /// <summary>Beat symbols ('N' for every non-ventricular beat, 'V' for ventricular ones).</summary>
    public char[] BeatSymbols { get; }
    /// <summary>Episodes in seconds from the record start, ascending by start.</summary>
    public EpisodeOccurrence[] Episodes { get; }
    /// <summary>Length in seconds.</summary>
    public double DurationSeconds => (double)Samples.Length / SampleRate;

    /// <summary>
    /// Loads <paramref name="recordPath"/> (DIR/NNN; header, signal file, and the .atr annotations beside it), takes the
    /// MLII lead (else the first), resamples it to <paramref name="sampleRate"/> and derives the ground truth.
    /// </summary>
    public static ReplayRecord Load(string recordPath, int sampleRate)
    {
        var record = Wfdb.ReadRecord(recordPath);
        var atr = recordPath.EndsWith(".hea", StringComparison.OrdinalIgnoreCase) ? recordPath[..^4] + ".atr" : recordPath + ".atr";
        if (!File.Exists(atr))
        {
            throw new FileNotFoundException($"record '{record.Name}' has no reference annotations '{atr}': replay needs them as ground truth", atr);
        }

        var annotations = Wfdb.ReadAnnotations(atr, (int)Math.Round(record.SampleRate));
        var lead = record.IndexOfSignal("MLII");
        lead = lead < 0 ? 0 : lead;
        var info = record.Signals[lead];
        var raw = record.Samples[lead];
        var mv = new float[raw.Length];
        for (var i = 0; i < raw.Length; i++)
        {
            mv[i] = (float)((raw[i] - info.Baseline) / info.Gain);
        }

        var resampled = Resampler.Resample(mv, record.SampleRate, sampleRate);
        var samples = new short[resampled.Length];
        for (var i = 0; i < samples.Length; i++)
        {
            samples[i] = (short)Math.Clamp(MathF.Round(resampled[i] * SyntheticEcg.Gain), short.MinValue, short.MaxValue);
        }

        var scale = sampleRate / record.SampleRate;
        var beats = new List<double>();
        var symbols = new List<char>();
        foreach (var a in annotations)
        {
            if (a.IsBeat)
            {
                beats.Add(a.Sample * scale);
                symbols.Add(a.Symbol is "V" or "E" or "F" ? 'V' : 'N');
            }
        }

        var episodes = ReplayTruth.Derive(annotations, record.SampleRate, beats, symbols, sampleRate, samples.Length / (double)sampleRate);
        return new ReplayRecord(record.Name, sampleRate, samples, [.. beats], [.. symbols], episodes);
    }
}
