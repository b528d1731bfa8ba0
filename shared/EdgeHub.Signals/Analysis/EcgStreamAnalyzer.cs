using System.Runtime.CompilerServices;
using EdgeHub.Contracts;

namespace EdgeHub.Signals;

/// <summary>
/// Per-device streaming ECG analysis: runs each frame's samples through a <see cref="QrsDetector"/>, keeps the last
/// <see cref="FeatureSchema.WindowSeconds"/> of signal (for the clinician strip), recent beats, per-second signal-quality
/// blocks and the latest vitals, and computes the <see cref="FeatureSchema"/> window features on demand.
/// Memory is set at construction (at 250 Hz about 5 KB with a 6 s strip, 6.2 KB with 10 s; the strip is a
/// <see cref="StripRing"/> of about 1.1 bytes a sample, whose array grows only for a noisy stretch and shrinks after it; the
/// beat ring starts at 16 beats, enough for a 10 s window up to about 90 bpm, and doubles up to 64 — 10 s at 384 bpm — the
/// first time a faster rhythm would overwrite a beat the window still needs, keeping that size afterwards),
/// and <see cref="Append"/> allocates nothing unless the sample rate, the signal's character or the rhythm's pace changes.
/// Not thread-safe: one owner per device.
/// </summary>
public sealed partial class EcgStreamAnalyzer
{
    private const int MaxBeats = 64;               // 10 s at 384 bpm; also the bits of _premature and _fastWide
    private const int MinBeats = 16;               // a 10 s window up to about 90 bpm (the usual resting rhythm) fits
    private const double WideQrsMs = 120;
    private const double FastRrMs = 500;           // 120 bpm
    private const double StripMicrovoltsPerUnit = 1; // strip stored as int16 µV: ±32.7 mV, 1 µV resolution

    private QrsDetector _detector;
    private int _sampleRate;
    private readonly int _stripSeconds;
    private readonly StripRing _strip;
    private BeatRecord[] _beats; // a ring of 16, 32 or 64 beats: see EnsureBeatRoom
    private ulong _premature, _fastWide; // one bit per slot of _beats (at most MaxBeats = 64)
    private readonly QualityBlock[] _blocks = new QualityBlock[FeatureSchema.WindowSeconds + 1];
    private int _beatCount, _beatHead;
    private int _blockSlot, _blockSample;
    private long _blockId;
    private long _samples, _lastBeat = -1;
    private int _fastWideRun;
    private short _prevRaw;
    private float _prevMv;
    private double _baseline, _baselineAlpha;
    private int _flatRun, _flatMin;
    private byte? _spo2, _resp;
    private ushort? _sys, _dia;
    private float? _temp;

    /// <summary>Creates an analyzer for a device streaming at <paramref name="sampleRate"/> Hz (125–1000).</summary>
    public EcgStreamAnalyzer(int sampleRate)
        : this(sampleRate, FeatureSchema.WindowSeconds)
    {
    }

    /// <summary>
    /// Creates an analyzer that keeps only the last <paramref name="stripSeconds"/> (1 to <see cref="FeatureSchema.WindowSeconds"/>)
    /// of signal for <see cref="CopyStrip"/>: the strip is the analyzer's largest item (about 1.1–1.25 bytes a sample in a
    /// <see cref="StripRing"/>), and an edge that attaches 6 s strips to alerts need not hold 10 s for each of thousands of devices.
    /// </summary>
    public EcgStreamAnalyzer(int sampleRate, int stripSeconds)
        : this(sampleRate, stripSeconds, MinBeats)
    {
    }

    /// <summary>
    /// As <see cref="EcgStreamAnalyzer(int, int)"/> with a beat ring that starts at <paramref name="beatCapacity"/> beats
    /// (16, 32 or 64): tests compare the growing ring against one built at 64, which never grows.
    /// </summary>
    internal EcgStreamAnalyzer(int sampleRate, int stripSeconds, int beatCapacity)
    {
        if (beatCapacity is not (16 or 32 or 64))
        {
            throw new ArgumentOutOfRangeException(nameof(beatCapacity), beatCapacity, "beat capacity must be 16, 32 or 64");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(stripSeconds, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(stripSeconds, FeatureSchema.WindowSeconds);
        _stripSeconds = stripSeconds;
        _beats = new BeatRecord[beatCapacity];
        _detector = new QrsDetector(sampleRate);
        _strip = new StripRing(stripSeconds * sampleRate);
        Configure(sampleRate);
    }

    /// <summary>Current sample rate (changes when a frame arrives at another rate).</summary>
    public int SampleRate => _sampleRate;

    /// <summary>Samples appended since construction or the last rate change.</summary>
    public long SamplesSeen => _samples;

    /// <summary>Heart rate from the median of the last (up to 5) RR intervals; null before two beats.</summary>
    public double? HeartRateBpm
    {
        get
        {
            Span<double> rr = stackalloc double[5];
            var n = RecentRr(rr);
            if (n == 0)
            {
                return null;
            }

            rr = rr[..n];
            rr.Sort();
            var median = n % 2 == 1 ? rr[n / 2] : (rr[n / 2 - 1] + rr[n / 2]) / 2;
            return 60000.0 / median;
        }
    }

    /// <summary>
    /// Seconds since the last detected R peak (since the start of the stream when none was detected yet). Beats are confirmed
    /// up to <see cref="QrsDetector.MaxDelaySeconds"/> after their R peak, so this reads up to 0.3 s high between beats.
    /// </summary>
    public double SecondsSinceLastBeat => (double)(_lastBeat < 0 ? _samples : _samples - _lastBeat) / _sampleRate;

    /// <summary>
    /// Consecutive beats, ending with the latest, that were both fast (RR under 500 ms) and wide (QRS over 120 ms): a VT-like run.
    /// 0 once 1.5 s pass without a beat.
    /// </summary>
    public int RecentFastWideRun => SecondsSinceLastBeat > 1.5 ? 0 : _fastWideRun;

    /// <summary>True once a full feature window of signal has been seen.</summary>
    public bool WindowReady => _samples >= (long)FeatureSchema.WindowSeconds * _sampleRate;

    /// <summary>Bytes of signal state this analyzer holds (arrays included), for capacity planning.</summary>
    public int ApproximateBytes =>
        200 + _strip.ApproximateBytes + _beats.Length * Unsafe.SizeOf<BeatRecord>() + _blocks.Length * Unsafe.SizeOf<QualityBlock>() + _detector.ApproximateBytes;

    /// <summary>
    /// Appends one frame: converts samples to mV as (raw − Baseline) / Gain, runs them through the detector and updates beats,
    /// quality and vitals. A frame at another sample rate resets the analyzer to that rate.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The frame's rate is outside 125–1000 Hz.</exception>
    /// <exception cref="ArgumentException">The frame's gain is not a positive finite number.</exception>
    public void Append(TelemetryFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (frame.SampleRate != _sampleRate)
        {
            if (frame.SampleRate is < 125 or > 1000)
            {
                throw new ArgumentOutOfRangeException(nameof(frame), frame.SampleRate, "frame sample rate must be 125–1000 Hz");
            }

            _detector = new QrsDetector(frame.SampleRate);
            Configure(frame.SampleRate);
        }

        if (!(frame.Gain > 0) || !float.IsFinite(frame.Gain))
        {
            throw new ArgumentException($"frame gain must be a positive number of ADC units per mV, got {frame.Gain}", nameof(frame));
        }

        ForgetStaleBeats();
        var scale = 1f / frame.Gain;
        var baseline = frame.Baseline;
        foreach (var raw in frame.Samples)
        {
            AppendSample(raw, (raw - baseline) * scale, frame.LeadOff);
        }

        // Physiologically impossible readings are sensor faults: keep the last plausible value instead.
        _spo2 = frame.SpO2 is byte o && o <= 100 ? o : _spo2;
        _resp = frame.RespirationRate is byte r && r <= 150 ? r : _resp;
        _sys = frame.Systolic is ushort sy && sy <= 350 ? sy : _sys;
        _dia = frame.Diastolic is ushort di && di <= 300 ? di : _dia;
        _temp = frame.TemperatureC is float t && t is >= 20 and <= 46 ? t : _temp;
    }

    /// <summary>Copies the latest samples (mV, oldest first) into <paramref name="destinationMv"/>; returns how many were written.</summary>
    public int CopyStrip(Span<float> destinationMv)
    {
        var n = _strip.CopyLatest(destinationMv); // the int16 µV values, exact as floats
        for (var i = 0; i < n; i++)
        {
            destinationMv[i] /= 1000f / (float)StripMicrovoltsPerUnit;
        }

        return n;
    }

    private void Configure(int sampleRate)
    {
        _sampleRate = sampleRate;
        _strip.Reset(_stripSeconds * sampleRate);

        Array.Clear(_beats);
        _premature = _fastWide = 0;
        Array.Clear(_blocks);
        _beatCount = _beatHead = 0;
        _samples = 0;
        _blockSlot = _blockSample = 0;
        _blockId = 0;
        _lastBeat = -1;
        _fastWideRun = 0;
        _prevRaw = 0;
        _prevMv = 0;
        _baseline = double.NaN;
        _baselineAlpha = 1 - Math.Exp(-2 * Math.PI * 0.7 / sampleRate); // 0.7 Hz one-pole low-pass: respiration and motion
        _flatRun = 0;
        _flatMin = (int)Math.Round(FlatSeconds * sampleRate);
    }

    /// <summary>Writes up to <paramref name="destination"/>.Length most recent RR intervals (ms), newest last; returns the count.</summary>
    private int RecentRr(Span<double> destination)
    {
        var pairs = Math.Min(_beatCount - 1, destination.Length);
        if (pairs <= 0)
        {
            return 0;
        }

        for (var k = 0; k < pairs; k++)
        {
            var newer = BeatAt(_beatCount - pairs + k);
            var older = BeatAt(_beatCount - pairs + k - 1);
            destination[k] = (IndexOf(newer) - IndexOf(older)) * 1000.0 / _sampleRate;
        }

        return pairs;
    }

    /// <summary>The i-th stored beat, oldest first (0 ≤ i &lt; _beatCount).</summary>
    private ref BeatRecord BeatAt(int i) => ref _beats[SlotOf(i)];

    /// <summary>The slot of _beats holding the i-th stored beat, oldest first (the ring's length is a power of two).</summary>
    private int SlotOf(int i) => (_beatHead - _beatCount + i) & (_beats.Length - 1);

    /// <summary>Whether the beat in <paramref name="slot"/> has the flag of <paramref name="mask"/> set.</summary>
    private static bool Flag(ulong mask, int slot) => (mask & (1UL << slot)) != 0;

    private static ulong WithFlag(ulong mask, int slot, bool value) => value ? mask | (1UL << slot) : mask & ~(1UL << slot);

    /// <summary>
    /// The sample index of a stored beat. Beats keep only the low 32 bits of their index (12 bytes a beat instead of 24):
    /// a beat is never ahead of the stream, so its distance back from <see cref="_samples"/> is exact while it is under
    /// 2^32 samples, and <see cref="ForgetStaleBeats"/> drops beats long before they get that old.
    /// </summary>
    private long IndexOf(in BeatRecord beat) => _samples - (uint)((uint)_samples - beat.IndexLow);

    /// <summary>
    /// Drops the beat history once the newest beat is 2^31 samples old (25 days at 1000 Hz, 99 days at 250 Hz of signal
    /// without a beat), before <see cref="IndexOf"/> could mistake its age.
    /// </summary>
    private void ForgetStaleBeats()
    {
        if (_beatCount > 0 && _samples - _lastBeat >= int.MaxValue)
        {
            Array.Clear(_beats);
            _premature = _fastWide = 0;
            _beatCount = _beatHead = 0;
        }
    }

    /// <summary>A detected beat: 12 bytes (its premature and fast-wide flags are bits of _premature and _fastWide).</summary>
    private struct BeatRecord
    {
        public uint IndexLow;
        public float AmplitudeMv;
        public float WidthMs;
    }
}
