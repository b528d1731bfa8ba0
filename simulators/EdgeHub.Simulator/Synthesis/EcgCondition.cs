namespace EdgeHub.Simulator;

/// <summary>
/// What the heart and the electrodes are doing while a stretch of samples is rendered: the rhythm episode (null = the
/// patient's own sinus rhythm) with its parameters, and the artefact overlays.
/// </summary>
public readonly record struct EcgCondition
{
    /// <summary>Active rhythm episode (AF, PVC, VT, brady, tachy) or null for sinus rhythm.</summary>
    public EpisodeKind? Rhythm { get; init; }

    /// <summary>Rate for VT / brady / tachy / AF in beats per minute; 0 = the kind's default (randomised per patient).</summary>
    public double RateBpm { get; init; }

    /// <summary>PVC episodes: sinus beats between PVCs (1 = bigeminy); 0 = random 2–6.</summary>
    public int PvcEvery { get; init; }

    /// <summary>Motion artefact on the ECG.</summary>
    public bool MotionNoise { get; init; }

    /// <summary>Electrodes off: flat trace, LeadOff flag.</summary>
    public bool LeadOff { get; init; }

    /// <summary>Sinus rhythm, no artefacts.</summary>
    public static EcgCondition Sinus => default;

    /// <summary>The condition for one episode kind with its defaults.</summary>
    public static EcgCondition For(EpisodeKind? episode) => episode switch
    {
        null => default,
        EpisodeKind.MotionNoise => new EcgCondition { MotionNoise = true },
        EpisodeKind.LeadOff => new EcgCondition { LeadOff = true },
        EpisodeKind.Desaturation => default,
        { } k => new EcgCondition { Rhythm = k },
    };
}

/// <summary>One heartbeat the generator produced: its R-peak time and its MIT-BIH annotation symbol.</summary>
/// <param name="SampleIndex">R-peak position in samples since the generator started (fractional: exact, not rounded).</param>
/// <param name="Symbol">'N' for a normal or AF-conducted beat, 'V' for a ventricular beat (PVC or VT).</param>
public readonly record struct BeatMark(double SampleIndex, char Symbol);
