using EdgeHub.Contracts;

namespace EdgeHub.Simulator;

/// <summary>
/// One virtual patient's single-lead ECG, rendered sample by sample from the ECGSYN dynamical model (McSharry et al. 2003).
/// <para>
/// The model moves a point (x, y, z) around a limit cycle: (x, y) turn at angular speed ω, and z, the ECG, is pushed by
/// Gaussian events at the P, Q, R, S and T angles and relaxes towards the respiratory baseline z₀. Because the limit cycle
/// is attracting, (x, y) is carried as its angle ψ alone; z is integrated exactly per sample from the tabulated phase
/// integral of the forcing (<see cref="EcgMorphology"/>), so a sample costs three table lookups and no exponentials.
/// </para>
/// <para>
/// Departures from ECGSYN, each because a stream cannot see the whole record: ω is set per R–R interval from a beat
/// planner (RR tachogram with LF/HF peaks, AF, PVCs, VT) instead of a precomputed series; within an interval the angle
/// runs at three speeds (systole R→T end, diastole, P onset→R) whose durations follow Bazett-like rules (QT ∝ √RR,
/// PR nearly constant), which generalises ECGSYN's hrfact width scaling; amplitudes are fixed per patient instead of
/// rescaling the finished record to [−0.4, 1.2] mV.
/// </para>
/// <para>
/// The QRS complex is timed in seconds, not as a share of the cycle: around each R peak the angle crosses the complex at a
/// fixed speed per beat shape (<see cref="EcgMorphology.QrsSpeed"/>), so a sinus QRS lasts about 80–100 ms and a ventricular
/// one 150–180 ms whatever the rate, as in real ECG (QRS duration barely changes with rate; QT does). With the whole cycle
/// scaled instead, VT at 200/min came out as narrow as a sinus beat and never looked ventricular to the edge's analyzer.
/// </para>
/// </summary>
public sealed class SyntheticEcg
{
    /// <summary>ADC units per millivolt in generated frames (MIT-BIH's 200).</summary>
    public const float Gain = 200f;

    private const double TwoPi = 2 * Math.PI;
    private const double PsiSystoleEnd = 2.4;   // just past the T wave (100° + 1.6 b)
    private const double PsiPOnset = 4.4;       // just before the P wave (−70° − 2.5 b, as 2π + θ)

    private readonly PatientProfile _profile;
    private readonly double _dt;
    private readonly double _decay;
    private readonly double _respirationHz;
    private readonly uint _respIncrement;
    private readonly double _afRateBpm, _vtRateBpm, _bradyRateBpm, _tachyRateBpm;
    private readonly uint _fIncrement1, _fIncrement2, _fModIncrement;
    private readonly float _fAmplitude;
    private SimRandom _rng;
    private RrTachogram _tachogram;
    private float[] _scratch = [];

    // Limit-cycle state: angle since the last R peak, the current interval's angular speeds (QRS after R, rest of systole,
    // diastole, P onset to QRS, QRS before R) and the angular extent of the QRS on either side of R.
    private double _psi;
    private double _wPost, _w1, _w2, _w3, _wPre;
    private double _qrsPost, _qrsPre;
    private double _interval;
    private BeatShape _current, _next;
    private double _gPrev;
    private double _z;

    // Rhythm planner state.
    private double _meanRr;
    private double _compensation;
    private int _pvcCountdown;

    // Oscillators and artefact state.
    private uint _respPhase, _fPhase1, _fPhase2, _fModPhase;
    private double _motionBaseline, _pop;

    /// <summary>Creates a generator with a random patient drawn from <paramref name="seed"/>.</summary>
    public SyntheticEcg(int sampleRate, int seed)
        : this(sampleRate, seed, null)
    {
    }

    /// <summary>Creates a generator for <paramref name="profile"/> (random from <paramref name="seed"/> when null).</summary>
    public SyntheticEcg(int sampleRate, int seed, PatientProfile? profile)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sampleRate, TelemetryCodec.MinSampleRate);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(sampleRate, TelemetryCodec.MaxSampleRate);
        SampleRate = sampleRate;
        _rng = new SimRandom(unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + 0x1234567UL));
        _profile = profile ?? PatientProfile.Random(ref _rng);
        _tachogram = new RrTachogram(ref _rng);
        _dt = 1.0 / sampleRate;
        _decay = Math.Exp(-_dt);
        _respirationHz = _profile.RespirationRate / 60;
        _respIncrement = SineTable.Increment(_respirationHz, sampleRate);
        _respPhase = (uint)_rng.NextUInt64();
        _afRateBpm = _rng.Uniform(85, 125);
        _vtRateBpm = _rng.Uniform(160, 220);
        _bradyRateBpm = _rng.Uniform(38, 46);
        _tachyRateBpm = _rng.Uniform(120, 145);
        // f waves of AF: 4–9 Hz (typically ~6), two components, slowly amplitude-modulated.
        _fIncrement1 = SineTable.Increment(_rng.Uniform(5.0, 6.5), sampleRate);
        _fIncrement2 = SineTable.Increment(_rng.Uniform(6.8, 8.5), sampleRate);
        _fModIncrement = SineTable.Increment(_rng.Uniform(0.2, 0.5), sampleRate);
        _fAmplitude = (float)_rng.Uniform(0.04, 0.09);

        _meanRr = 60 / _profile.HeartRateBpm;
        _current = _next = BeatShape.Sinus;
        SetInterval(_meanRr);
        _psi = _rng.Uniform(0, TwoPi);
        _gPrev = G(_psi);
        _z = 0;
        _pvcCountdown = 3;
    }

    /// <summary>Samples per second.</summary>
    public int SampleRate { get; }

    /// <summary>The patient this generator draws.</summary>
    public PatientProfile Profile => _profile;

    /// <summary>Samples rendered so far (the index of the next sample).</summary>
    public long SamplesGenerated { get; private set; }

    /// <summary>
    /// Fills <paramref name="frame"/> with the next <paramref name="samples"/> samples (int16 at <see cref="Gain"/> units/mV,
    /// baseline 0) timed from <paramref name="start"/>, under <paramref name="episode"/> (null = sinus rhythm). Vitals are left
    /// as they are (see <see cref="SimulatedPatient"/>). Beats whose R peak falls in the frame are appended to <paramref name="beats"/>.
    /// </summary>
    public void Generate(TelemetryFrame frame, DateTimeOffset start, int samples, EpisodeKind? episode, List<BeatMark>? beats = null)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var condition = EcgCondition.For(episode);
        frame.SampleRate = SampleRate;
        frame.Gain = Gain;
        frame.Baseline = 0;
        frame.TimestampMicros = (start.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;
        frame.LeadOff = condition.LeadOff;
        Render(frame.SetSampleCount(samples), condition, beats);
    }

    /// <summary>Renders the next <paramref name="destination"/>.Length samples as ADC units (<see cref="Gain"/> per mV).</summary>
    public void Render(Span<short> destination, in EcgCondition condition, List<BeatMark>? beats = null)
    {
        if (_scratch.Length < destination.Length)
        {
            _scratch = new float[Math.Max(destination.Length, 256)];
        }

        var mv = _scratch.AsSpan(0, destination.Length);
        Render(mv, condition, beats);
        for (var i = 0; i < mv.Length; i++)
        {
            var v = MathF.Round(mv[i] * Gain);
            destination[i] = (short)Math.Clamp(v, short.MinValue, short.MaxValue);
        }
    }

    /// <summary>Renders the next <paramref name="millivolts"/>.Length samples in mV.</summary>
    public void Render(Span<float> millivolts, in EcgCondition condition, List<BeatMark>? beats = null)
    {
        var amplitude = _profile.RAmplitudeMv;
        var wander = _profile.BaselineWanderMv;
        var noise = (float)_profile.NoiseMv;
        var af = condition.Rhythm == EpisodeKind.AtrialFibrillation;
        for (var i = 0; i < millivolts.Length; i++)
        {
            var index = SamplesGenerated + i;
            Advance(index, condition, beats);
            var g = _psi < Math.PI ? G(_current, _psi) : G(_next, _psi - TwoPi);
            var z0 = wander * SineTable.Sin(_respPhase);
            _respPhase += _respIncrement;
            // dz/dt = G'(θ)·dθ/dt − (z − z₀): exact increment of the forcing, exponential relaxation over one sample.
            _z = z0 + ((_z - z0) * _decay) + (amplitude * (g - _gPrev));
            _gPrev = g;

            var value = (float)_z + (noise * _rng.NextTableGaussian());
            if (af)
            {
                var envelope = 1f + (0.35f * SineTable.Sin(_fModPhase));
                value += _fAmplitude * envelope * (SineTable.Sin(_fPhase1) + (0.6f * SineTable.Sin(_fPhase2)));
                _fPhase1 += _fIncrement1 + (uint)(_rng.NextUInt64() >> 56 << 12);
                _fPhase2 += _fIncrement2;
                _fModPhase += _fModIncrement;
            }

            if (condition.MotionNoise)
            {
                value += MotionArtefact();
            }

            millivolts[i] = condition.LeadOff ? 0.004f * _rng.NextTableGaussian() : value;
        }

        SamplesGenerated += millivolts.Length;
    }

    private float MotionArtefact()
    {
        // Leaky random walk (body movement, ~0.3 mV swings), white muscle noise, and electrode pops that decay in ~50 ms.
        _motionBaseline = (_motionBaseline * 0.996) + (0.02 * _rng.NextTableGaussian());
        if (_rng.NextUInt64() % (ulong)(SampleRate * 3) == 0)
        {
            _pop += _rng.Chance(0.5) ? 1.2 : -1.2;
        }

        _pop *= 1 - (20.0 / SampleRate);
        return (float)(_motionBaseline + _pop) + (0.07f * _rng.NextTableGaussian());
    }

    /// <summary>Moves the angle on by one sample, crossing segment boundaries, the table switch and R peaks exactly.</summary>
    private void Advance(long index, in EcgCondition condition, List<BeatMark>? beats)
    {
        // Fast path: most samples stay inside one speed segment and cross nothing.
        var end = SegmentEnd(_psi, out var w);
        var next = _psi + (_dt * w);
        if (next < end)
        {
            _psi = next;
            return;
        }

        var remaining = _dt;
        while (true)
        {
            end = SegmentEnd(_psi, out w);
            var need = (end - _psi) / w;
            if (need > remaining)
            {
                _psi += w * remaining;
                return;
            }

            remaining -= need;
            _psi = end;
            if (end == Math.PI)
            {
                // From here the next beat's tables apply: rebase the previous G so the increment stays continuous.
                _gPrev += G(_next, -Math.PI) - G(_current, Math.PI);
            }
            else if (end == TwoPi)
            {
                _psi = 0;
                beats?.Add(new BeatMark(index - (remaining / _dt), _next == BeatShape.Ventricular ? 'V' : 'N'));
                _current = _next;
                PlanNextBeat(condition);
            }
        }
    }

    /// <summary>End of the speed segment holding <paramref name="psi"/> and its angular speed.</summary>
    private double SegmentEnd(double psi, out double w)
    {
        if (psi < _qrsPost)
        {
            w = _wPost;
            return _qrsPost;
        }

        if (psi < PsiSystoleEnd)
        {
            w = _w1;
            return PsiSystoleEnd;
        }

        if (psi < PsiPOnset)
        {
            w = _w2;
            return psi < Math.PI ? Math.PI : PsiPOnset;
        }

        var qrsStart = TwoPi - _qrsPre;
        if (psi < qrsStart)
        {
            w = _w3;
            return qrsStart;
        }

        w = _wPre;
        return TwoPi;
    }

    /// <summary>At an R peak: choose the interval to the next R and the next beat's shape from the rhythm.</summary>
    private void PlanNextBeat(in EcgCondition c)
    {
        var targetRr = c.Rhythm switch
        {
            EpisodeKind.Bradycardia => 60 / Rate(c, _bradyRateBpm),
            EpisodeKind.Tachycardia => 60 / Rate(c, _tachyRateBpm),
            _ => 60 / _profile.HeartRateBpm,
        };
        // Sinus rate follows its target with a ~2 s time constant (autonomic tone does not jump).
        _meanRr += (targetRr - _meanRr) * (1 - Math.Exp(-_interval / 2.0));
        var sinusRr = _tachogram.Next(ref _rng, _meanRr, _profile.RrVariability, _profile.LfHfRatio, _respirationHz);

        double interval;
        if (_compensation > 0)
        {
            (interval, _next) = (_compensation, BeatShape.Sinus);
            _compensation = 0;
        }
        else
        {
            switch (c.Rhythm)
            {
                case EpisodeKind.AtrialFibrillation:
                    // Irregularly irregular: independent intervals, coefficient of variation ~0.2 (no autocorrelation).
                    interval = Math.Clamp(60 / Rate(c, _afRateBpm) * (1 + (0.2 * _rng.NextGaussian())), 0.33, 1.8);
                    _next = BeatShape.NoP;
                    break;
                case EpisodeKind.VentricularTachycardia:
                    interval = 60 / Math.Clamp(Rate(c, _vtRateBpm), 150, 250) * (1 + (0.015 * _rng.NextGaussian()));
                    _next = BeatShape.Ventricular;
                    break;
                case EpisodeKind.Pvc when --_pvcCountdown <= 0:
                    // Premature beat at 50–65 % of the cycle, then a full compensatory pause: the next sinus beat lands two
                    // sinus cycles after the last one.
                    var coupling = sinusRr * _rng.Uniform(0.5, 0.65);
                    interval = coupling;
                    _compensation = (2 * sinusRr) - coupling;
                    _next = BeatShape.Ventricular;
                    _pvcCountdown = c.PvcEvery > 0 ? c.PvcEvery : 2 + _rng.NextInt(5);
                    break;
                default:
                    (interval, _next) = (sinusRr, BeatShape.Sinus);
                    break;
            }
        }

        SetInterval(interval);
    }

    private static double Rate(in EcgCondition c, double patientDefault) => c.RateBpm > 0 ? c.RateBpm : patientDefault;

    /// <summary>
    /// Sets the angular speeds of an R–R interval of <paramref name="rr"/> seconds: the QRS of the beat just begun
    /// (<c>_current</c>, after R) and of the next one (<c>_next</c>, before its R) at their shapes' fixed speeds, the rest of
    /// systole, diastole and P onset to QRS from Bazett-like rules on what is left.
    /// </summary>
    private void SetInterval(double rr)
    {
        _interval = rr;
        _qrsPost = EcgMorphology.QrsAfterR(_current);
        _qrsPre = EcgMorphology.QrsBeforeR(_next);
        var tPost = _qrsPost / EcgMorphology.QrsSpeed(_current);
        var tPre = _qrsPre / EcgMorphology.QrsSpeed(_next);
        if (tPost + tPre > 0.7 * rr)
        {
            // Beyond 250/min even a ventricular complex must narrow, or the cycle would have no room for repolarisation.
            var k = 0.7 * rr / (tPost + tPre);
            tPost *= k;
            tPre *= k;
        }

        var rest = rr - tPost - tPre;
        var systole = Math.Max((0.36 * Math.Sqrt(rr)) - tPost, 0.1 * rest);  // QRS end → T end: QT ∝ √RR (Bazett)
        var preR = Math.Max((0.2 * Math.Pow(rr, 0.3)) - tPre, 0.1 * rest);   // P onset → QRS: PR barely changes with rate
        var diastole = rest - systole - preR;
        if (diastole < 0.1 * rest)
        {
            // Very fast rates (VT, AF at 180): squeeze systole and PR so diastole keeps 10 % of what the QRS leaves.
            var squeeze = 0.9 * rest / (systole + preR);
            systole *= squeeze;
            preR *= squeeze;
            diastole = 0.1 * rest;
        }

        _wPost = _qrsPost / tPost;
        _wPre = _qrsPre / tPre;
        _w1 = (PsiSystoleEnd - _qrsPost) / systole;
        _w2 = (PsiPOnset - PsiSystoleEnd) / diastole;
        _w3 = (TwoPi - _qrsPre - PsiPOnset) / preR;
    }

    private double G(double psi) => psi < Math.PI ? G(_current, psi) : G(_next, psi - TwoPi);

    private double G(BeatShape shape, double theta)
    {
        // One index computation serves the three wave tables of the shape.
        var tables = EcgMorphology.Tables[(int)shape];
        var x = (theta + Math.PI) * EcgMorphology.Scale;
        var i = Math.Clamp((int)x, 0, EcgMorphology.Size - 1);
        var f = x - i;
        float[] p = tables[0], qrs = tables[1], t = tables[2];
        return (_profile.PScale * (p[i] + (f * (p[i + 1] - p[i]))))
            + qrs[i] + (f * (qrs[i + 1] - qrs[i]))
            + (_profile.TScale * (t[i] + (f * (t[i + 1] - t[i]))));
    }
}
