namespace EdgeHub.Contracts;

/// <summary>
/// One device telemetry frame: a run of single-lead ECG samples (int16 ADC units with gain and baseline) plus the latest vitals.
/// Devices send it on <see cref="Topics.Telemetry"/> in the compact binary form (<see cref="TelemetryCodec"/>) or as JSON
/// (content type <see cref="ContentTypes.TelemetryJson"/>). The object is reusable: parsers overwrite it, so a hot loop keeps one.
/// </summary>
public sealed class TelemetryFrame
{
    /// <summary>Most samples one frame may carry (2 s at 1000 Hz).</summary>
    public const int MaxSamples = 2000;

    private short[] _samples = new short[256];

    /// <summary>Device's frame counter; increases by one per frame (gaps mean lost frames, repeats mean duplicates).</summary>
    public uint Sequence { get; set; }

    /// <summary>Device clock time of the first sample, microseconds since the Unix epoch (UTC).</summary>
    public long TimestampMicros { get; set; }

    /// <summary>ECG sample rate in Hz (125–1000).</summary>
    public int SampleRate { get; set; }

    /// <summary>ADC units per millivolt.</summary>
    public float Gain { get; set; } = 200f;

    /// <summary>ADC value that corresponds to 0 mV.</summary>
    public short Baseline { get; set; }

    /// <summary>The device reports its electrodes are off.</summary>
    public bool LeadOff { get; set; }

    /// <summary>Number of valid samples in <see cref="Samples"/>.</summary>
    public int SampleCount { get; private set; }

    /// <summary>The samples of this frame (length <see cref="SampleCount"/>).</summary>
    public ReadOnlySpan<short> Samples => _samples.AsSpan(0, SampleCount);

    /// <summary>SpO2 in percent, or null when the device has no reading.</summary>
    public byte? SpO2 { get; set; }

    /// <summary>Respiration rate per minute, or null.</summary>
    public byte? RespirationRate { get; set; }

    /// <summary>Systolic blood pressure in mmHg, or null.</summary>
    public ushort? Systolic { get; set; }

    /// <summary>Diastolic blood pressure in mmHg, or null.</summary>
    public ushort? Diastolic { get; set; }

    /// <summary>Body temperature in °C, or null.</summary>
    public float? TemperatureC { get; set; }

    /// <summary>Raw patient identifier as the hospital knows it; never leaves the edge (pseudonymised first).</summary>
    public string PatientId { get; set; } = "";

    /// <summary>Site (ward, clinic) the device belongs to; selects the alerts topic.</summary>
    public string SiteId { get; set; } = "";

    /// <summary>Bed label shown to clinicians.</summary>
    public string Bed { get; set; } = "";

    /// <summary>Duration covered by the samples.</summary>
    public double DurationSeconds => SampleRate > 0 ? (double)SampleCount / SampleRate : 0;

    /// <summary>Gives a writable span of <paramref name="count"/> samples, growing the buffer if needed.</summary>
    public Span<short> SetSampleCount(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, MaxSamples);
        if (_samples.Length < count)
        {
            _samples = new short[Math.Max(count, _samples.Length * 2)];
        }

        SampleCount = count;
        return _samples.AsSpan(0, count);
    }

    /// <summary>Copies every field of this frame into <paramref name="target"/>.</summary>
    public void CopyTo(TelemetryFrame target)
    {
        ArgumentNullException.ThrowIfNull(target);
        target.Sequence = Sequence;
        target.TimestampMicros = TimestampMicros;
        target.SampleRate = SampleRate;
        target.Gain = Gain;
        target.Baseline = Baseline;
        target.LeadOff = LeadOff;
        Samples.CopyTo(target.SetSampleCount(SampleCount));
        target.SpO2 = SpO2;
        target.RespirationRate = RespirationRate;
        target.Systolic = Systolic;
        target.Diastolic = Diastolic;
        target.TemperatureC = TemperatureC;
        target.PatientId = PatientId;
        target.SiteId = SiteId;
        target.Bed = Bed;
    }
}
