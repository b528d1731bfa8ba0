using EdgeHub.Contracts;
using EdgeHub.Learning.Training;

namespace EdgeHub.Learning.Data;

/// <summary>
/// How a population or device fleet differs from the baseline the generator models: a new lead placement or firmware that
/// reads QRS wider and R waves smaller, noisier front ends, a population on rate control (lower heart rates), a different
/// class mix. Used to test and benchmark differential retraining on drifted data.
/// </summary>
public sealed record DriftProfile
{
    /// <summary>No drift.</summary>
    public static DriftProfile None { get; } = new();

    /// <summary>The drift the tests and the bench use: wider QRS readings, smaller R waves, more noise, slower hearts, more AF.</summary>
    public static DriftProfile NewLeadPlacement { get; } = new()
    {
        QrsOffsetMs = 22,
        AmplitudeScale = 0.55f,
        NoiseScale = 3,
        HeartRateOffsetBpm = -8,
        Priors = [0.62, 0.16, 0.08, 0.03, 0.07, 0.04],
    };

    public float QrsOffsetMs { get; init; }
    public float AmplitudeScale { get; init; } = 1;
    public float NoiseScale { get; init; } = 1;
    public float HeartRateOffsetBpm { get; init; }

    /// <summary>Class priors in <see cref="RhythmClass"/> order; null keeps the baseline mix.</summary>
    public IReadOnlyList<double>? Priors { get; init; }
}

/// <summary>Generated labelled windows: features [Count × 32], observed (possibly wrong) labels, true classes, patient ids.</summary>
public sealed record GeneratedRows(float[] Features, int[] Labels, int[] TrueClasses, int[] PatientIds)
{
    public int Count => Labels.Length;
}

/// <summary>
/// Class-conditional synthetic feature windows shaped like <see cref="FeatureSchema"/>: rhythm classes differ where cardiology
/// says they do (rate for brady/tachy, RR irregularity and entropy for AF, premature beats and wide QRS for PVCs, fast wide runs
/// for VT, lower SpO2 and pressure in VT) and overlap enough that a classifier is imperfect; nuisance features (signal quality,
/// vitals) carry little class information; a share of labels is wrong, as clinicians' answers sometimes are.
/// Deterministic for a seed.
/// </summary>
public sealed class SyntheticFeatureGenerator
{
    private static readonly double[] BaselinePriors = [0.70, 0.10, 0.08, 0.02, 0.05, 0.05];

    // Per class: heart rate mean/sd, RR coefficient of variation mean/sd, premature fraction, QRS width, wide-QRS fraction.
    private static readonly float[][] ClassParams =
    [
        [74, 11, 0.045f, 0.02f, 0.012f, 92, 0.02f],
        [97, 20, 0.150f, 0.05f, 0.120f, 94, 0.03f],
        [80, 12, 0.095f, 0.04f, 0.120f, 103, 0.12f],
        [158, 24, 0.060f, 0.03f, 0.050f, 138, 0.65f],
        [50, 6, 0.050f, 0.02f, 0.012f, 94, 0.03f],
        [116, 11, 0.035f, 0.015f, 0.012f, 92, 0.03f],
    ];

    private readonly DriftProfile _drift;
    private readonly double[] _cumulative;
    private readonly DeterministicRandom _random;

    /// <summary>Creates a generator; <paramref name="labelNoise"/> is the share of labels replaced by a random class.</summary>
    public SyntheticFeatureGenerator(int seed, DriftProfile? drift = null, double labelNoise = 0.03)
    {
        _drift = drift ?? DriftProfile.None;
        LabelNoise = labelNoise;
        var priors = _drift.Priors ?? BaselinePriors;
        if (priors.Count != RhythmClasses.Count)
        {
            throw new ArgumentException($"drift priors need {RhythmClasses.Count} values", nameof(drift));
        }

        _cumulative = new double[priors.Count];
        var sum = 0.0;
        for (var i = 0; i < priors.Count; i++)
        {
            sum += priors[i];
            _cumulative[i] = sum;
        }

        for (var i = 0; i < _cumulative.Length; i++)
        {
            _cumulative[i] /= sum;
        }

        _random = new DeterministicRandom(seed);
    }

    public double LabelNoise { get; }

    /// <summary>Generates <paramref name="count"/> windows for patients numbered from <paramref name="firstPatient"/>, <paramref name="windowsPerPatient"/> each.</summary>
    public GeneratedRows Generate(int count, int firstPatient = 0, int windowsPerPatient = 50)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfLessThan(windowsPerPatient, 1);
        var f = FeatureSchema.Count;
        var features = new float[count * f];
        var labels = new int[count];
        var truth = new int[count];
        var patients = new int[count];
        for (var i = 0; i < count; i++)
        {
            var c = DrawClass();
            truth[i] = c;
            labels[i] = NextDouble() < LabelNoise ? (int)(NextDouble() * RhythmClasses.Count) : c;
            patients[i] = firstPatient + (i / windowsPerPatient);
            Fill(c, features.AsSpan(i * f, f));
        }

        return new GeneratedRows(features, labels, truth, patients);
    }

    /// <summary>
    /// A training set from generated parts: each part with whether it is new since the parent, holdout by patient id.
    /// </summary>
    public static TrainingSet ToTrainingSet(HoldoutDefinition holdout, long datasetVersion, long? sinceVersion,
        params (GeneratedRows Rows, bool IsNew)[] parts)
    {
        ArgumentNullException.ThrowIfNull(holdout);
        ArgumentNullException.ThrowIfNull(parts);
        var n = 0;
        foreach (var p in parts)
        {
            n += p.Rows.Count;
        }

        var f = FeatureSchema.Count;
        var features = new float[n * f];
        var labels = new int[n];
        var isNew = new bool[n];
        var isHoldout = new bool[n];
        var offset = 0;
        var patientHoldout = new Dictionary<int, bool>();
        Span<char> key = stackalloc char[16];
        foreach (var (rows, fresh) in parts)
        {
            rows.Features.CopyTo(features, offset * f);
            rows.Labels.CopyTo(labels, offset);
            for (var i = 0; i < rows.Count; i++)
            {
                var pid = rows.PatientIds[i];
                if (!patientHoldout.TryGetValue(pid, out var h))
                {
                    key[0] = 'p';
                    pid.TryFormat(key[1..], out var written, provider: System.Globalization.CultureInfo.InvariantCulture);
                    h = holdout.IsHoldout(key[..(written + 1)]);
                    patientHoldout[pid] = h;
                }

                isHoldout[offset + i] = h;
                isNew[offset + i] = fresh;
            }

            offset += rows.Count;
        }

        return new TrainingSet(features, labels, isNew, isHoldout, holdout, datasetVersion, sinceVersion);
    }

    private void Fill(int c, Span<float> x)
    {
        var p = ClassParams[c];
        var d = _drift;
        var hr = MathF.Max(28, Normal(p[0], p[1]) + d.HeartRateOffsetBpm);
        var cv = MathF.Max(0.005f, Normal(p[2], p[3]));
        var premature = Math.Clamp(Normal(p[4], p[4] * 0.6f + 0.01f), 0, 1);
        var qrs = MathF.Max(60, Normal(p[5], 9) + d.QrsOffsetMs);
        var wide = Math.Clamp(Normal(p[6], 0.04f + (p[6] * 0.3f)), 0, 1);
        var isAf = c == (int)RhythmClass.AtrialFibrillation;
        var rrMean = 60000f / hr * (1 + Normal(0, 0.01f));
        var sdnn = cv * rrMean;
        var rmssd = MathF.Max(1, sdnn * (isAf ? 1.35f : 0.8f) * (1 + Normal(0, 0.12f)));
        x[0] = hr;
        x[1] = hr * (1 - (2 * cv) - MathF.Abs(Normal(0, 0.02f)));
        x[2] = hr * (1 + (2 * cv) + MathF.Abs(Normal(0, 0.02f)));
        x[3] = rrMean;
        x[4] = sdnn;
        x[5] = rmssd;
        x[6] = Math.Clamp((rmssd / 110f) + Normal(0, 0.05f), 0, 1);
        x[7] = cv;
        x[8] = rmssd / rrMean;
        x[9] = Math.Clamp(Normal(isAf ? 0.68f : 0.58f, isAf ? 0.05f : 0.08f), 0, 1);
        x[10] = MathF.Max(0, Normal(isAf ? 3.0f : c == (int)RhythmClass.VentricularEctopy ? 2.1f : 1.4f, 0.5f));
        x[11] = 1 + (3 * cv) + (premature * 0.8f) + MathF.Abs(Normal(0, 0.03f));
        x[12] = premature;
        x[13] = c == (int)RhythmClass.VentricularTachycardia ? MathF.Max(0, MathF.Round(Normal(10, 5))) : MathF.Max(0, MathF.Round(Normal(-1.5f, 1.2f)));
        x[14] = qrs;
        x[15] = qrs + MathF.Abs(Normal(0, 10)) + (wide * 35);
        x[16] = wide;
        x[17] = MathF.Max(0.05f, Normal(1.0f, 0.3f) * d.AmplitudeScale);
        x[18] = MathF.Max(0, Normal(c is (int)RhythmClass.VentricularEctopy or (int)RhythmClass.VentricularTachycardia ? 0.16f : 0.06f, 0.04f));
        x[19] = MathF.Round(hr / 6f + Normal(0, 0.7f));
        x[20] = (rrMean * (1 + (3 * cv))) + MathF.Abs(Normal(0, 40));
        x[21] = Math.Clamp(Normal(0.96f, 0.04f) - ((d.NoiseScale - 1) * 0.04f), 0, 1);
        x[22] = MathF.Abs(Normal(0.05f, 0.03f));
        x[23] = MathF.Abs(Normal(0.01f, 0.005f)) * d.NoiseScale;
        x[24] = MathF.Max(0, Normal(-0.01f, 0.01f));
        x[25] = MathF.Max(0, Normal(-0.01f, 0.01f));
        x[26] = MathF.Min(100, Normal(c == (int)RhythmClass.VentricularTachycardia ? 93 : 97, c == (int)RhythmClass.VentricularTachycardia ? 3 : 1.5f));
        x[27] = Normal(isAf ? 18 : 16, 3);
        x[28] = Normal(c == (int)RhythmClass.VentricularTachycardia ? 102 : 121, 15);
        x[29] = Normal(c == (int)RhythmClass.VentricularTachycardia ? 68 : 79, 10);
        x[30] = Normal(36.8f, 0.3f);
        x[31] = Normal(c is (int)RhythmClass.VentricularTachycardia or (int)RhythmClass.Tachycardia ? 3 : 0, 2);
    }

    private int DrawClass()
    {
        var u = NextDouble();
        for (var i = 0; i < _cumulative.Length - 1; i++)
        {
            if (u < _cumulative[i])
            {
                return i;
            }
        }

        return _cumulative.Length - 1;
    }

    private float Normal(float mean, float sd) => _random.Normal(mean, sd);

    private double NextDouble() => _random.NextDouble();
}
