using System.Globalization;

namespace EdgeHub.Learning.Data;

/// <summary>
/// The fixed regional holdout: a row belongs to it when the hash of its key (by default the patient pseudonym, so one patient's
/// overlapping windows never straddle training and holdout) falls below <see cref="Fraction"/>. The hash is FNV-1a 64 over the
/// key's UTF-16 code units, salted, with the SplitMix64 finaliser for uniform low bits; it is stable across processes and
/// machines, so the holdout never moves. <see cref="Id"/> names the definition; models record it, and the gate compares a
/// candidate with its parent only on the same holdout.
/// </summary>
public sealed record HoldoutDefinition
{
    /// <summary>Version 1: 10 % of patients, key = patient pseudonym.</summary>
    public static HoldoutDefinition Default { get; } = new();

    /// <summary>Incremented whenever any other property changes.</summary>
    public int Version { get; init; } = 1;

    /// <summary>Share of keys in the holdout (0 &lt; f &lt; 1).</summary>
    public double Fraction { get; init; } = 0.10;

    /// <summary>Salt mixed into the hash; changing it draws a different holdout.</summary>
    public string Salt { get; init; } = "ehub-holdout";

    /// <summary>Which column is hashed: "patient" (patient_pseudonym) or "window" (window_id).</summary>
    public string Key { get; init; } = "patient";

    /// <summary>Stable identifier recorded with every model's metrics, e.g. "holdout-v1-patient-0.10".</summary>
    public string Id => string.Create(CultureInfo.InvariantCulture, $"holdout-v{Version}-{Key}-{Fraction:0.00##}");

    /// <summary>True when <paramref name="key"/> belongs to the holdout.</summary>
    public bool IsHoldout(ReadOnlySpan<char> key)
    {
        if (!(Fraction > 0 && Fraction < 1))
        {
            throw new InvalidOperationException($"holdout fraction {Fraction} must be strictly between 0 and 1");
        }

        var h = 14695981039346656037UL; // FNV-1a 64 offset basis
        foreach (var c in Salt)
        {
            h = (h ^ c) * 1099511628211UL;
        }

        h = (h ^ ':') * 1099511628211UL;
        foreach (var c in key)
        {
            h = (h ^ c) * 1099511628211UL;
        }

        // SplitMix64 finaliser: FNV's low bits are poorly mixed for short keys.
        h ^= h >> 30;
        h *= 0xbf58476d1ce4e5b9UL;
        h ^= h >> 27;
        h *= 0x94d049bb133111ebUL;
        h ^= h >> 31;
        return (h >> 11) * (1.0 / (1UL << 53)) < Fraction;
    }
}
