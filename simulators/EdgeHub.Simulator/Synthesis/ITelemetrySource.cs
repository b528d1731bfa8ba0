using EdgeHub.Contracts;

namespace EdgeHub.Simulator;

/// <summary>What a virtual device measures: a synthetic patient or a replayed record. Not thread-safe (one device, one caller).</summary>
public interface ITelemetrySource
{
    /// <summary>ECG sample rate.</summary>
    int SampleRate { get; }

    /// <summary>Samples produced so far (time = this / <see cref="SampleRate"/> seconds since the run start).</summary>
    long SamplesGenerated { get; }

    /// <summary>
    /// Fills the next <paramref name="samples"/> ECG samples, gain, baseline, lead-off flag and vitals of <paramref name="frame"/>
    /// (not its sequence, timestamp or identity). Beats with R peaks in these samples are appended to <paramref name="beats"/>
    /// (sample index since the run start).
    /// </summary>
    void Fill(TelemetryFrame frame, int samples, List<BeatMark>? beats);
}
