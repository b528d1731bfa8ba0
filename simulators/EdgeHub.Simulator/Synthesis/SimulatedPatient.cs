using EdgeHub.Contracts;

namespace EdgeHub.Simulator;

/// <summary>
/// A scripted virtual patient: the synthetic ECG and vitals driven by the device's episode schedule. Frames are split at
/// episode boundaries, so an episode starts on the exact sample its schedule (and so the ground truth) says.
/// </summary>
public sealed class SimulatedPatient : ITelemetrySource
{
    private readonly SimulatedVitals _vitals;

    /// <summary>Creates patient <paramref name="device"/> of a run seeded with <paramref name="seed"/>.</summary>
    public SimulatedPatient(int sampleRate, int seed, int device, DeviceSchedule schedule, PatientProfile? profile = null,
        double timeOffsetSeconds = 0)
    {
        TimeOffsetSeconds = timeOffsetSeconds;
        Schedule = schedule ?? throw new ArgumentNullException(nameof(schedule));
        // Deterministic across processes (HashCode.Combine is randomised per process).
        var patientSeed = (int)SimRandom.ForStream(seed, device, purpose: 1).NextUInt64();
        Ecg = new SyntheticEcg(sampleRate, patientSeed, profile);
        _vitals = new SimulatedVitals(Ecg.Profile, patientSeed);
    }

    /// <summary>The ECG generator.</summary>
    public SyntheticEcg Ecg { get; }

    /// <summary>The vitals model.</summary>
    public SimulatedVitals Vitals => _vitals;

    /// <summary>Run time (s) of this device's first sample: devices start staggered across one frame period.</summary>
    public double TimeOffsetSeconds { get; }

    /// <summary>The episode schedule.</summary>
    public DeviceSchedule Schedule { get; }

    /// <inheritdoc />
    public int SampleRate => Ecg.SampleRate;

    /// <inheritdoc />
    public long SamplesGenerated => Ecg.SamplesGenerated;

    /// <inheritdoc />
    public void Fill(TelemetryFrame frame, int samples, List<BeatMark>? beats)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var rate = (double)SampleRate;
        var destination = frame.SetSampleCount(samples);
        frame.SampleRate = SampleRate;
        frame.Gain = SyntheticEcg.Gain;
        frame.Baseline = 0;
        var leadOff = false;
        var state = default(PatientState);
        var done = 0;
        while (done < samples)
        {
            var t = TimeOffsetSeconds + (Ecg.SamplesGenerated / rate);
            state = Schedule.StateAt(t);
            var change = Schedule.NextChangeAfter(t);
            var until = double.IsPositiveInfinity(change) ? long.MaxValue : (long)Math.Ceiling(((change - TimeOffsetSeconds) * rate) - 1e-9);
            var n = (int)Math.Clamp(until - Ecg.SamplesGenerated, 1, samples - done);
            Ecg.Render(destination.Slice(done, n), state.Ecg, beats);
            leadOff |= state.LeadOff;
            done += n;
        }

        // A frame that saw the electrodes come off at any point is flagged: its samples are not all ECG.
        frame.LeadOff = leadOff;
        _vitals.Update(samples / rate, state, frame);
    }
}
