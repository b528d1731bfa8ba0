using EdgeHub.Contracts;

namespace EdgeHub.Signals;

/// <summary>
/// Plays one signal of a WFDB record as the 1-second telemetry frames a device would send (raw ADC samples with the
/// record's gain and baseline, timestamps from 0), so offline tools feed records to the same analyzer an edge runs.
/// </summary>
public static class RecordFrames
{
    /// <summary>
    /// Yields consecutive frames of at most one second (the last may be shorter). The same <see cref="TelemetryFrame"/> is
    /// refilled each time: consume it before asking for the next.
    /// </summary>
    /// <exception cref="InvalidDataException">The rate is not a whole number of Hz, or a sample does not fit 16 bits.</exception>
    public static IEnumerable<TelemetryFrame> Enumerate(WfdbRecord record, int signal)
    {
        ArgumentNullException.ThrowIfNull(record);
        var rate = SampleRateOf(record);
        var info = record.Signals[signal];
        var data = record.Samples[signal];
        var frame = new TelemetryFrame
        {
            SampleRate = rate,
            Gain = (float)info.Gain,
            Baseline = (short)Math.Round(info.Baseline),
            PatientId = record.Name,
            SiteId = "replay",
            Bed = "-",
        };
        uint sequence = 0;
        for (var start = 0; start < data.Length; start += rate)
        {
            var n = Math.Min(rate, data.Length - start);
            var samples = frame.SetSampleCount(n);
            for (var i = 0; i < n; i++)
            {
                var v = data[start + i];
                samples[i] = v is >= short.MinValue and <= short.MaxValue
                    ? (short)v
                    : throw new InvalidDataException($"record '{record.Name}': sample {start + i} ({v}) does not fit a 16-bit telemetry frame");
            }

            frame.Sequence = sequence++;
            frame.TimestampMicros = (long)(start * 1_000_000.0 / rate);
            yield return frame;
        }
    }

    /// <summary>The record's sampling rate as whole Hz (the analyzer needs an integer rate).</summary>
    /// <exception cref="InvalidDataException">The rate is fractional.</exception>
    public static int SampleRateOf(WfdbRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var rate = (int)Math.Round(record.SampleRate);
        return Math.Abs(rate - record.SampleRate) < 1e-6
            ? rate
            : throw new InvalidDataException($"record '{record.Name}': sampling frequency {record.SampleRate} Hz is not a whole number; the analyzer needs an integer rate");
    }
}
