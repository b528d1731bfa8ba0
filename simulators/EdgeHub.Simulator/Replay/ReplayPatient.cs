using EdgeHub.Contracts;

namespace EdgeHub.Simulator;

/// <summary>
/// A device that plays a real record, looping at its end, starting at a device-specific offset so devices sharing a record
/// are out of step. Vitals are synthesised to match the record's annotated rhythm. Its truth is the record's annotations
/// shifted by the offset.
/// </summary>
public sealed class ReplayPatient : ITelemetrySource, IDeviceTruth
{
    private readonly ReplayRecord _record;
    private readonly long _offset;
    private readonly SimulatedVitals _vitals;
    private readonly List<EpisodeOccurrence> _scratch = [];

    /// <summary>Plays <paramref name="record"/> from <paramref name="offsetSeconds"/> into it.</summary>
    public ReplayPatient(ReplayRecord record, double offsetSeconds, int seed, int device, double timeOffsetSeconds = 0)
    {
        TimeOffsetSeconds = timeOffsetSeconds;
        _record = record ?? throw new ArgumentNullException(nameof(record));
        _offset = (long)(offsetSeconds * record.SampleRate) % record.Samples.Length;
        var rng = SimRandom.ForStream(seed, device, purpose: 2);
        _vitals = new SimulatedVitals(PatientProfile.Random(ref rng), (int)rng.NextUInt64());
    }

    /// <summary>Run time (s) of this device's first sample.</summary>
    public double TimeOffsetSeconds { get; }

    /// <summary>The record being played.</summary>
    public ReplayRecord Record => _record;

    /// <inheritdoc />
    public int SampleRate => _record.SampleRate;

    /// <inheritdoc />
    public long SamplesGenerated { get; private set; }

    /// <inheritdoc />
    public void Fill(TelemetryFrame frame, int samples, List<BeatMark>? beats)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var destination = frame.SetSampleCount(samples);
        frame.SampleRate = SampleRate;
        frame.Gain = SyntheticEcg.Gain;
        frame.Baseline = 0;
        frame.LeadOff = false;
        var length = _record.Samples.Length;
        var done = 0;
        while (done < samples)
        {
            var position = (_offset + SamplesGenerated + done) % length;
            var n = (int)Math.Min(samples - done, length - position);
            _record.Samples.AsSpan((int)position, n).CopyTo(destination.Slice(done, n));
            if (beats is not null)
            {
                AddBeats(position, n, SamplesGenerated + done, beats);
            }

            done += n;
        }

        var t = TimeOffsetSeconds + ((SamplesGenerated + samples) / (double)SampleRate);
        SamplesGenerated += samples;
        _vitals.Update(samples / (double)SampleRate, StateAt(t), frame);
    }

    private void AddBeats(long position, int count, long runIndex, List<BeatMark> beats)
    {
        var starts = _record.BeatSamples;
        var i = Array.BinarySearch(starts, (double)position);
        i = i < 0 ? ~i : i;
        for (; i < starts.Length && starts[i] < position + count; i++)
        {
            beats.Add(new BeatMark(runIndex + (starts[i] - position), _record.BeatSymbols[i]));
        }
    }

    private PatientState StateAt(double t)
    {
        _scratch.Clear();
        EpisodesOverlapping(t, t + 1e-6, _scratch);
        EpisodeKind? rhythm = null;
        foreach (var e in _scratch)
        {
            if (rhythm is null || DeviceSchedule.Priority(e.Kind) > DeviceSchedule.Priority(rhythm.Value))
            {
                rhythm = e.Kind;
            }
        }

        return new PatientState { Ecg = new EcgCondition { Rhythm = rhythm } };
    }

    /// <inheritdoc />
    public void EpisodesOverlapping(double from, double to, List<EpisodeOccurrence> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        var length = _record.DurationSeconds;
        // Run time t plays record time (offset + t − TimeOffsetSeconds) modulo the record length.
        var offset = (_offset / (double)SampleRate) - TimeOffsetSeconds;
        var first = (long)Math.Floor((from + offset) / length);
        var last = (long)Math.Floor((to + offset) / length);
        for (var m = first; m <= last; m++)
        {
            // Loop m of the record occupies run time [m·L − offset, (m+1)·L − offset).
            var shift = (m * length) - offset;
            foreach (var e in _record.Episodes)
            {
                var start = e.Start + shift;
                var end = e.End + shift;
                if (start < to && end > from)
                {
                    into.Add(e with { Start = start, End = end });
                }
            }
        }
    }
}
