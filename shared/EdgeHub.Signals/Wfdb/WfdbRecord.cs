namespace EdgeHub.Signals;

/// <summary>One signal of a WFDB record as its header describes it (WFDB header format, "signal specification lines").</summary>
/// <param name="FileName">Data file the samples live in (several signals may share one file, interleaved).</param>
/// <param name="Format">Storage format: 212, 16 or 80.</param>
/// <param name="Gain">ADC units per physical unit (fractional in wfdb-python rewrites; 200 when the header gives 0 or nothing).</param>
/// <param name="Baseline">ADC value of 0 physical units (defaults to <paramref name="AdcZero"/>).</param>
/// <param name="Units">Physical units (mV unless the header says otherwise).</param>
/// <param name="AdcResolution">ADC resolution in bits (0 when absent).</param>
/// <param name="AdcZero">ADC value of the centre of the ADC range.</param>
/// <param name="InitialValue">First sample value as the header states it, or null.</param>
/// <param name="Checksum">16-bit checksum of all samples as the header states it (signed or unsigned), or null.</param>
/// <param name="Description">Signal description, e.g. "MLII".</param>
public sealed record WfdbSignalInfo(
    string FileName,
    int Format,
    double Gain,
    double Baseline,
    string Units,
    int AdcResolution,
    int AdcZero,
    int? InitialValue,
    int? Checksum,
    string Description);

/// <summary>A WFDB record: its header fields and every signal's samples in ADC units (<c>Samples[signal][i]</c>).</summary>
public sealed class WfdbRecord
{
    internal WfdbRecord(string name, double sampleRate, IReadOnlyList<WfdbSignalInfo> signals, int[][] samples, IReadOnlyList<string> comments)
    {
        Name = name;
        SampleRate = sampleRate;
        Signals = signals;
        Samples = samples;
        Comments = comments;
    }

    /// <summary>Record name from the header's record line.</summary>
    public string Name { get; }

    /// <summary>Samples per second per signal.</summary>
    public double SampleRate { get; }

    /// <summary>Signal descriptions, in header order.</summary>
    public IReadOnlyList<WfdbSignalInfo> Signals { get; }

    /// <summary>Raw ADC samples per signal.</summary>
    public IReadOnlyList<int[]> Samples { get; }

    /// <summary>Header comment lines (without the leading '#').</summary>
    public IReadOnlyList<string> Comments { get; }

    /// <summary>Number of samples per signal.</summary>
    public int Length => Samples.Count == 0 ? 0 : Samples[0].Length;

    /// <summary>Index of the first signal whose description equals <paramref name="description"/> (case-insensitive), or -1.</summary>
    public int IndexOfSignal(string description)
    {
        for (var i = 0; i < Signals.Count; i++)
        {
            if (string.Equals(Signals[i].Description, description, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>One sample in physical units: (adc - baseline) / gain.</summary>
    public double Physical(int signal, int index) => (Samples[signal][index] - Signals[signal].Baseline) / Signals[signal].Gain;

    /// <summary>Computes the WFDB checksum (16-bit wrapping sum) of one signal's samples.</summary>
    public int ComputeChecksum(int signal)
    {
        var sum = 0;
        foreach (var v in Samples[signal])
        {
            sum = (sum + v) & 0xFFFF;
        }

        return sum;
    }

    /// <summary>
    /// True when the header checksum matches the samples. wfdb-python writes checksums unsigned (0..65535) where PhysioNet
    /// writes them signed, so both are accepted by comparing the low 16 bits.
    /// </summary>
    public bool ChecksumMatches(int signal) =>
        Signals[signal].Checksum is not int ck || (ck & 0xFFFF) == ComputeChecksum(signal);
}
