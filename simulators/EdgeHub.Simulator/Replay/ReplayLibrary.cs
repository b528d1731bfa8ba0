namespace EdgeHub.Simulator;

/// <summary>The records of a WFDB directory, loaded and resampled once, shared by every replaying device.</summary>
public static class ReplayLibrary
{
    /// <summary>
    /// Loads every record in <paramref name="directory"/> that has a header (.hea) and annotations (.atr), in name order,
    /// resampled to <paramref name="sampleRate"/>. Throws with the reason when the folder or its records are unusable.
    /// </summary>
    public static IReadOnlyList<ReplayRecord> Load(string directory, int sampleRate)
    {
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"replay directory '{directory}' does not exist; pass a folder of WFDB records (NNN.hea, NNN.dat, NNN.atr)");
        }

        var headers = Directory.GetFiles(directory, "*.hea");
        Array.Sort(headers, StringComparer.Ordinal);
        var usable = Array.FindAll(headers, h => File.Exists(h[..^4] + ".atr"));
        if (usable.Length == 0)
        {
            throw new InvalidDataException($"replay directory '{directory}' holds no WFDB record with annotations (NNN.hea + NNN.atr)");
        }

        var records = new ReplayRecord[usable.Length];
        Parallel.For(0, usable.Length, i => records[i] = ReplayRecord.Load(usable[i][..^4], sampleRate));
        return records;
    }
}
