namespace EdgeHub.Contracts;

/// <summary>One model input feature: its column name, unit, and the value used when it cannot be computed.</summary>
public sealed record FeatureDefinition(int Index, string Name, string Unit, float Default, string Description);

/// <summary>
/// The versioned feature schema: what the edge computes per window, what the model consumes (in this order) and what deltas carry.
/// A window is the last <see cref="WindowSeconds"/> of one device's stream, computed every <see cref="HopSeconds"/>
/// (one per 1-second frame). A model's metadata names the schema id it was trained on; the edge refuses a model whose id differs.
/// </summary>
public static class FeatureSchema
{
    /// <summary>Identifier stored in model metadata and delta file metadata.</summary>
    public const string Id = "ecg-features-v1";

    /// <summary>Seconds of signal one window covers.</summary>
    public const int WindowSeconds = 10;

    /// <summary>Seconds between consecutive windows of a device.</summary>
    public const int HopSeconds = 1;

    /// <summary>The features, in model input order.</summary>
    public static IReadOnlyList<FeatureDefinition> Features { get; } =
    [
        new(0, "hr_mean_bpm", "bpm", 75, "mean heart rate over the window's RR intervals"),
        new(1, "hr_min_bpm", "bpm", 75, "lowest instantaneous heart rate"),
        new(2, "hr_max_bpm", "bpm", 75, "highest instantaneous heart rate"),
        new(3, "rr_mean_ms", "ms", 800, "mean RR interval"),
        new(4, "rr_sdnn_ms", "ms", 30, "standard deviation of RR intervals (SDNN)"),
        new(5, "rr_rmssd_ms", "ms", 25, "root mean square of successive RR differences (RMSSD)"),
        new(6, "rr_pnn50", "fraction", 0.05f, "fraction of successive RR differences > 50 ms (pNN50)"),
        new(7, "rr_cv", "ratio", 0.04f, "coefficient of variation of RR intervals"),
        new(8, "rr_nrmssd", "ratio", 0.03f, "RMSSD / mean RR, an atrial fibrillation irregularity measure"),
        new(9, "rr_turning_point_ratio", "ratio", 0.66f, "turning points among RR triples (random ~ 2/3)"),
        new(10, "rr_shannon_entropy", "bits", 1, "Shannon entropy of the RR histogram (16 bins)"),
        new(11, "rr_max_successive_ratio", "ratio", 1.05f, "largest ratio of successive RR intervals"),
        new(12, "premature_beat_fraction", "fraction", 0, "beats more than 20 % early against the local mean RR"),
        new(13, "fast_run_max_beats", "beats", 0, "longest run of consecutive beats above 120 bpm that are also wide"),
        new(14, "qrs_width_mean_ms", "ms", 90, "mean QRS width"),
        new(15, "qrs_width_max_ms", "ms", 90, "widest QRS"),
        new(16, "wide_qrs_fraction", "fraction", 0, "beats with QRS width > 120 ms"),
        new(17, "r_amplitude_mean_mv", "mV", 1, "mean R-peak amplitude"),
        new(18, "r_amplitude_cv", "ratio", 0.05f, "coefficient of variation of R amplitudes"),
        new(19, "beat_count", "beats", 12, "beats detected in the window"),
        new(20, "max_pause_ms", "ms", 900, "longest RR interval (or time since last beat)"),
        new(21, "signal_quality", "0..1", 1, "share of the window judged clean (no saturation, lead-off or excess noise)"),
        new(22, "baseline_wander_mv", "mV", 0.05f, "low-frequency baseline excursion"),
        new(23, "hf_noise_mv", "mV", 0.01f, "high-frequency noise level (RMS of the first difference)"),
        new(24, "saturation_fraction", "fraction", 0, "samples at the ADC rails"),
        new(25, "lead_off_fraction", "fraction", 0, "share of the window with lead-off reported or a flat line"),
        new(26, "spo2_pct", "%", 97, "latest SpO2"),
        new(27, "resp_rate_bpm", "/min", 16, "latest respiration rate"),
        new(28, "systolic_mmhg", "mmHg", 120, "latest systolic blood pressure"),
        new(29, "diastolic_mmhg", "mmHg", 80, "latest diastolic blood pressure"),
        new(30, "temperature_c", "°C", 36.8f, "latest body temperature"),
        new(31, "hr_trend_bpm_per_min", "bpm/min", 0, "slope of heart rate over the window"),
    ];

    /// <summary>Number of features (the model's input width).</summary>
    public static int Count => Features.Count;

    /// <summary>Index of a feature by name, or -1.</summary>
    public static int IndexOf(string name)
    {
        foreach (var f in Features)
        {
            if (f.Name == name)
            {
                return f.Index;
            }
        }

        return -1;
    }
}
