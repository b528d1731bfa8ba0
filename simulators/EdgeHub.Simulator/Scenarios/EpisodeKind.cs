using EdgeHub.Contracts;

namespace EdgeHub.Simulator;

/// <summary>What a scripted episode does to a virtual patient. Rhythm episodes change the ECG; the others overlay it.</summary>
public enum EpisodeKind
{
    /// <summary>Atrial fibrillation: irregularly irregular RR, no P waves, fibrillatory baseline (f waves).</summary>
    AtrialFibrillation,
    /// <summary>Frequent premature ventricular contractions: early wide beats with a full compensatory pause.</summary>
    Pvc,
    /// <summary>Ventricular tachycardia: a run of fast (150–250 bpm) wide beats.</summary>
    VentricularTachycardia,
    /// <summary>Sinus bradycardia (default 42 bpm).</summary>
    Bradycardia,
    /// <summary>Sinus tachycardia (default 130 bpm).</summary>
    Tachycardia,
    /// <summary>Oxygen desaturation: SpO2 falls (default to 85 %), respiration rises; ECG unchanged.</summary>
    Desaturation,
    /// <summary>Motion artefact: baseline swings, muscle noise and electrode pops over an unchanged rhythm.</summary>
    MotionNoise,
    /// <summary>Electrodes off: flat ECG and the frame's LeadOff flag; the heart keeps beating underneath.</summary>
    LeadOff,
}

/// <summary>Names (scenario files, ground truth) and class mapping of <see cref="EpisodeKind"/>.</summary>
public static class EpisodeKinds
{
    private static readonly string[] Names = ["af", "pvc", "vt", "brady", "tachy", "desat", "noise", "lead_off"];

    /// <summary>The name used in scenario files and the ground-truth file.</summary>
    public static string Name(EpisodeKind kind) => Names[(int)kind];

    /// <summary>Parses a scenario name ("af", "vt", "lead_off", …; a few long forms are accepted too).</summary>
    public static bool TryParse(string? name, out EpisodeKind kind)
    {
        for (var i = 0; i < Names.Length; i++)
        {
            if (string.Equals(Names[i], name, StringComparison.OrdinalIgnoreCase))
            {
                kind = (EpisodeKind)i;
                return true;
            }
        }

        (var ok, kind) = name?.ToLowerInvariant() switch
        {
            "atrial_fibrillation" or "afib" => (true, EpisodeKind.AtrialFibrillation),
            "ventricular_tachycardia" => (true, EpisodeKind.VentricularTachycardia),
            "bradycardia" => (true, EpisodeKind.Bradycardia),
            "tachycardia" => (true, EpisodeKind.Tachycardia),
            "desaturation" or "spo2" => (true, EpisodeKind.Desaturation),
            "motion" or "motion_noise" => (true, EpisodeKind.MotionNoise),
            "leadoff" or "lead-off" => (true, EpisodeKind.LeadOff),
            _ => (false, EpisodeKind.AtrialFibrillation),
        };
        return ok;
    }

    /// <summary>All accepted names, for error messages.</summary>
    public static string AllNames => string.Join(", ", Names);

    /// <summary>True for the kinds that change the heart rhythm (and so the model's class).</summary>
    public static bool IsRhythm(EpisodeKind kind) => kind <= EpisodeKind.Tachycardia;

    /// <summary>The model class a rhythm episode is (non-rhythm episodes leave the rhythm normal).</summary>
    public static RhythmClass ToRhythmClass(EpisodeKind kind) => kind switch
    {
        EpisodeKind.AtrialFibrillation => RhythmClass.AtrialFibrillation,
        EpisodeKind.Pvc => RhythmClass.VentricularEctopy,
        EpisodeKind.VentricularTachycardia => RhythmClass.VentricularTachycardia,
        EpisodeKind.Bradycardia => RhythmClass.Bradycardia,
        EpisodeKind.Tachycardia => RhythmClass.Tachycardia,
        _ => RhythmClass.Normal,
    };
}
