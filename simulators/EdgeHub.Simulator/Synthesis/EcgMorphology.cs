namespace EdgeHub.Simulator;

/// <summary>Shape of one beat: which Gaussian event set the phase tables describe.</summary>
public enum BeatShape : byte
{
    /// <summary>Sinus beat: P, Q, R, S, T (ECGSYN's default event set).</summary>
    Sinus,
    /// <summary>Supraventricular beat without a P wave (atrial fibrillation conducts through the AV node: narrow QRS, no P).</summary>
    NoP,
    /// <summary>Ventricular beat (PVC, VT): no P, wide QRS, large discordant T.</summary>
    Ventricular,
}

/// <summary>
/// The ECGSYN event tables (McSharry et al., IEEE TBME 50(3), 2003). The model's z equation is
/// <c>dz/dt = −Σ aᵢ Δθᵢ exp(−Δθᵢ² / 2bᵢ²) − (z − z₀)</c>, whose phase integral is
/// <c>G(θ) = Σ aᵢ bᵢ² exp(−Δθᵢ² / 2bᵢ²)</c>: so instead of integrating the stiff Gaussian forcing per sample we tabulate G
/// once (4,096 points over one cycle) and feed the integrator its exact increments G(θₙ₊₁) − G(θₙ). The tables are split by
/// wave (P, QRS, T) so each virtual patient scales its own P, QRS and T amplitudes; values are in millivolts for a 1 mV R wave.
/// </summary>
internal static class EcgMorphology
{
    public const int Size = 4096;
    public const double Scale = Size / (2 * Math.PI);

    // ECGSYN defaults: θ (deg) = −70, −15, 0, 15, 100; a = 1.2, −5, 30, −7.5, 0.75; b = 0.25, 0.1, 0.1, 0.1, 0.4.
    // Heights are a·b² normalised by R's 30·0.1² = 0.3.
    private static readonly WaveEvent[] SinusP = [new(-70, 1.2 * 0.0625 / 0.3, 0.25)];
    private static readonly WaveEvent[] SinusQrs = [new(-15, -5 * 0.01 / 0.3, 0.1), new(0, 1.0, 0.1), new(15, -7.5 * 0.01 / 0.3, 0.1)];
    private static readonly WaveEvent[] SinusT = [new(100, 0.75 * 0.16 / 0.3, 0.4)];

    // Ventricular beat: the same event model with a wide notched R (b 0.2) and deep late S, no P, and a T wave of opposite
    // polarity to the QRS (secondary repolarisation change), as PVCs and monomorphic VT look in lead II.
    private static readonly WaveEvent[] VentricularQrs = [new(-6, 1.15, 0.17), new(12, 0.45, 0.2), new(30, -0.55, 0.2)];
    private static readonly WaveEvent[] VentricularT = [new(110, -0.55, 0.45)];

    /// <summary>
    /// Angular speed (rad/s) at which the QRS complex of <paramref name="shape"/> is crossed: it fixes the complex's duration in
    /// seconds. Sinus (and AF-conducted) beats: 10 rad/s → 100 ms from Q onset to S end (the edge measures about 75 ms, as it
    /// does 84–88 ms on MIT-BIH 119 and 208 N beats). Ventricular beats: 9 rad/s → 170 ms (measured about 170 ms; PVCs and
    /// monomorphic VT are 140–200 ms, always ≥ 120 ms).
    /// </summary>
    public static double QrsSpeed(BeatShape shape) => shape == BeatShape.Ventricular ? 9.0 : 10.0;

    /// <summary>Angular extent (rad) of the QRS before R: the first event's angle plus 2.5 widths.</summary>
    public static double QrsBeforeR(BeatShape shape) => shape == BeatShape.Ventricular ? 0.53 : 0.5;

    /// <summary>Angular extent (rad) of the QRS after R: the last event's angle plus 2.5 widths.</summary>
    public static double QrsAfterR(BeatShape shape) => shape == BeatShape.Ventricular ? 1.02 : 0.5;

    /// <summary>Tables indexed [shape][wave] with wave 0 = P, 1 = QRS, 2 = T; each has <see cref="Size"/> + 1 entries (wrap).</summary>
    public static readonly float[][][] Tables =
    [
        [Build(SinusP), Build(SinusQrs), Build(SinusT)],
        [new float[Size + 1], Build(SinusQrs), Build(SinusT)],
        [new float[Size + 1], Build(VentricularQrs), Build(VentricularT)],
    ];

    private static float[] Build(WaveEvent[] events)
    {
        var table = new float[Size + 1];
        for (var i = 0; i <= Size; i++)
        {
            var theta = (i / Scale) - Math.PI;
            double g = 0;
            foreach (var e in events)
            {
                // Δθ wrapped into [−π, π), as ECGSYN's rem(θ − θᵢ, 2π).
                var d = Math.IEEERemainder(theta - e.ThetaRadians, 2 * Math.PI);
                g += e.Height * Math.Exp(-(d * d) / (2 * e.Width * e.Width));
            }

            table[i] = (float)g;
        }

        return table;
    }

    /// <summary>G of one wave table at phase θ ∈ [−π, π], linear interpolation.</summary>
    public static float Lookup(float[] table, double theta)
    {
        var x = (theta + Math.PI) * Scale;
        var i = (int)x;
        if ((uint)i >= Size)
        {
            i = i < 0 ? 0 : Size - 1;
            x = Math.Clamp(x, 0, Size);
        }

        var f = (float)(x - i);
        return table[i] + (f * (table[i + 1] - table[i]));
    }

    private readonly record struct WaveEvent(double ThetaDegrees, double Height, double Width)
    {
        public double ThetaRadians => ThetaDegrees * Math.PI / 180;
    }
}
