using EdgeHub.Contracts;
using EdgeHub.Edge.Alerts;
using EdgeHub.Signals;

namespace EdgeHub.Edge.Ingest;

/// <summary>
/// Everything the edge keeps per device, bounded: the streaming signal analyzer (a fixed window of samples), identity and
/// pseudonyms, frame sequence tracking and the alert state. Ingest owns the analyzer (under <see cref="Sync"/>, which the
/// alert path also takes to copy a strip); the inference thread owns <see cref="Alerts"/>.
/// </summary>
public sealed class DeviceState
{
    private byte[] _identityUtf8 = [];
    private int _patientIdLength, _siteIdLength;

    /// <summary>Creates the state of one device.</summary>
    public DeviceState(string deviceId, AlertOptions alerts)
    {
        DeviceId = deviceId;
        FeedbackTopic = Topics.Feedback(deviceId);
        Alerts = new AlertTracker(alerts);
    }

    /// <summary>Raw device id (local only: alerts to clinicians on this site, feedback topic).</summary>
    public string DeviceId { get; }

    /// <summary>The device's feedback topic (built once).</summary>
    public string FeedbackTopic { get; }

    /// <summary>Guards <see cref="Analyzer"/>.</summary>
    public Lock Sync { get; } = new();

    /// <summary>Signal analyzer at <see cref="SampleRate"/>, or null before the first frame.</summary>
    public EcgStreamAnalyzer? Analyzer { get; set; }

    /// <summary>Sample rate of the analyzer.</summary>
    public int SampleRate { get; set; }

    /// <summary>Site the device reports.</summary>
    public string SiteId { get; set; } = "";

    /// <summary>Topic for this device's alerts (rebuilt when the site changes).</summary>
    public string AlertsTopic { get; set; } = "";

    /// <summary>Bed label.</summary>
    public string Bed { get; set; } = "";

    /// <summary>Raw patient id (never stored or sent to the hub).</summary>
    public string PatientId { get; set; } = "";

    /// <summary>HMAC pseudonym of the device id.</summary>
    public string DevicePseudonym { get; set; } = "";

    /// <summary>HMAC pseudonym of the patient id.</summary>
    public string PatientPseudonym { get; set; } = "";

    /// <summary>Sequence of the last accepted frame.</summary>
    public uint LastSequence { get; set; }

    /// <summary>Device time (µs) of the end of the last accepted frame.</summary>
    public long LastFrameEndMicros { get; set; }

    /// <summary>True once a frame has been accepted.</summary>
    public bool HasFrames { get; set; }

    /// <summary>Seconds of signal accepted since the analyzer was (re)started.</summary>
    public double SecondsObserved { get; set; }

    /// <summary>Edge clock (Stopwatch ticks) of the last frame: idle devices are evicted.</summary>
    public long LastSeenTicks { get; set; }

    /// <summary>Edge clock (Stopwatch ticks) of the last bad-frame log line (at most one per minute per device).</summary>
    public long LastErrorLogTicks { get; set; }

    /// <summary>Frames refused for this device.</summary>
    public long BadFrames { get; set; }

    /// <summary>Frames missing (sequence gaps).</summary>
    public long LostFrames { get; set; }

    /// <summary>Duplicate or stale frames ignored.</summary>
    public long DuplicateFrames { get; set; }

    /// <summary>Row ids of this device's latest committed windows (store writer thread only).</summary>
    public Store.WindowLog Windows { get; } = new();

    /// <summary>Alert state (inference thread only).</summary>
    public AlertTracker Alerts { get; }

    /// <summary>Latest SpO2 (for alert messages).</summary>
    public byte? SpO2 { get; set; }

    /// <summary>Latest heart rate.</summary>
    public double? HeartRate { get; set; }

    /// <summary>Most likely class of the latest window, or -1.</summary>
    public int LastClass { get; set; } = -1;

    /// <summary>Probability of <see cref="LastClass"/>.</summary>
    public float LastProbability { get; set; }

    /// <summary>True when <paramref name="identity"/> is byte for byte the identity remembered by <see cref="RememberIdentity"/>.</summary>
    public bool HasIdentity(TelemetryIdentity identity) => identity.Matches(_identityUtf8, _patientIdLength, _siteIdLength);

    /// <summary>Remembers a binary frame's identity bytes (after the strings were set from them).</summary>
    public void RememberIdentity(TelemetryIdentity identity)
    {
        if (_identityUtf8.Length != identity.Length)
        {
            _identityUtf8 = new byte[identity.Length];
        }

        identity.CopyTo(_identityUtf8);
        _patientIdLength = identity.PatientId.Length;
        _siteIdLength = identity.SiteId.Length;
    }

    /// <summary>Forgets the remembered identity bytes (a JSON frame set the strings directly).</summary>
    public void ForgetIdentityBytes() => _identityUtf8 = [];

    /// <summary>Copies the last <paramref name="seconds"/> of ECG in mV (for an alert's strip), or null.</summary>
    public EcgStrip? CopyStrip(int seconds)
    {
        lock (Sync)
        {
            if (Analyzer is null || SampleRate <= 0)
            {
                return null;
            }

            var samples = new float[seconds * SampleRate];
            var n = Analyzer.CopyStrip(samples);
            return new EcgStrip(SampleRate, n == samples.Length ? samples : samples[^n..]);
        }
    }
}
