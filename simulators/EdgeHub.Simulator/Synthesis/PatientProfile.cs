namespace EdgeHub.Simulator;

/// <summary>
/// The fixed traits of one virtual patient, drawn once from the device's seed so every device looks a little different:
/// resting heart rate and its variability, wave amplitudes, breathing, noise, and resting vital signs.
/// </summary>
public sealed record PatientProfile
{
    /// <summary>Resting sinus heart rate (bpm).</summary>
    public double HeartRateBpm { get; init; } = 70;
    /// <summary>Heart-rate variability: standard deviation of RR as a fraction of RR (LF + HF together).</summary>
    public double RrVariability { get; init; } = 0.035;
    /// <summary>LF/HF power ratio of the RR tachogram (ECGSYN default 0.5).</summary>
    public double LfHfRatio { get; init; } = 0.5;
    /// <summary>R-wave amplitude in mV.</summary>
    public double RAmplitudeMv { get; init; } = 1.1;
    /// <summary>P-wave scale (1 = ECGSYN's proportion to R).</summary>
    public double PScale { get; init; } = 1.0;
    /// <summary>T-wave scale.</summary>
    public double TScale { get; init; } = 1.0;
    /// <summary>Breathing rate per minute (sets the RSA frequency and the baseline wander).</summary>
    public double RespirationRate { get; init; } = 15;
    /// <summary>Respiratory baseline wander amplitude in mV (ECGSYN's z₀ = A sin 2πf₂t, A = 0.15 mV by default).</summary>
    public double BaselineWanderMv { get; init; } = 0.08;
    /// <summary>Measurement noise, standard deviation in mV.</summary>
    public double NoiseMv { get; init; } = 0.015;
    /// <summary>Resting SpO2 (%).</summary>
    public double SpO2 { get; init; } = 97;
    /// <summary>Resting systolic / diastolic blood pressure (mmHg).</summary>
    public double Systolic { get; init; } = 122;
    /// <summary>Resting diastolic blood pressure (mmHg).</summary>
    public double Diastolic { get; init; } = 78;
    /// <summary>Body temperature (°C).</summary>
    public double TemperatureC { get; init; } = 36.8;

    /// <summary>A random but plausible adult patient recovering from a myocardial infarction.</summary>
    public static PatientProfile Random(ref SimRandom rng) => new()
    {
        HeartRateBpm = rng.Uniform(58, 88),
        RrVariability = rng.Uniform(0.02, 0.05),
        RAmplitudeMv = rng.Uniform(0.8, 1.6),
        PScale = rng.Uniform(0.7, 1.2),
        TScale = rng.Uniform(0.6, 1.3),
        RespirationRate = rng.Uniform(12, 19),
        BaselineWanderMv = rng.Uniform(0.03, 0.12),
        NoiseMv = rng.Uniform(0.008, 0.025),
        SpO2 = rng.Uniform(95, 99),
        Systolic = rng.Uniform(108, 138),
        Diastolic = rng.Uniform(66, 86),
        TemperatureC = rng.Uniform(36.4, 37.2),
    };
}
