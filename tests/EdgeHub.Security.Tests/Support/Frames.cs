using EdgeHub.Contracts;

namespace EdgeHub.Security.Tests.Support;

/// <summary>Hand-made telemetry frames (one second of flat ECG at 250 Hz with vitals).</summary>
public static class Frames
{
    /// <summary>A valid frame for <paramref name="patientId"/> stamped now; the device id travels in the topic.</summary>
    public static TelemetryFrame One(string deviceId, string patientId, uint sequence = 1)
    {
        ArgumentException.ThrowIfNullOrEmpty(deviceId);
        var frame = new TelemetryFrame
        {
            Sequence = sequence,
            TimestampMicros = (DateTimeOffset.UtcNow.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10,
            SampleRate = 250,
            PatientId = patientId,
            SiteId = "ward-1",
            Bed = "B001",
            SpO2 = 97,
            RespirationRate = 14,
        };
        frame.SetSampleCount(250).Clear();
        return frame;
    }
}
