namespace EdgeHub.Contracts;

/// <summary>
/// What the model predicts for a window (its output index). Desaturation, lead-off and asystole are not model classes:
/// the edge's rule-based safety net raises those without any model.
/// </summary>
public enum RhythmClass
{
    Normal = 0,
    AtrialFibrillation = 1,
    VentricularEctopy = 2,
    VentricularTachycardia = 3,
    Bradycardia = 4,
    Tachycardia = 5,
}

/// <summary>Names, criticality and parsing of <see cref="RhythmClass"/>.</summary>
public static class RhythmClasses
{
    /// <summary>Number of model output classes.</summary>
    public const int Count = 6;

    /// <summary>Stable names used in payloads, Parquet columns and metrics.</summary>
    public static IReadOnlyList<string> Names { get; } = ["normal", "af", "pvc", "vt", "brady", "tachy"];

    /// <summary>Classes whose sensitivity the promotion gate guards: missing them harms patients.</summary>
    public static IReadOnlyList<RhythmClass> Critical { get; } = [RhythmClass.AtrialFibrillation, RhythmClass.VentricularTachycardia];

    /// <summary>The payload name of a class.</summary>
    public static string Name(RhythmClass c) => Names[(int)c];

    /// <summary>Parses a payload name ("af", "vt", …).</summary>
    public static bool TryParse(string? name, out RhythmClass value)
    {
        for (var i = 0; i < Names.Count; i++)
        {
            if (string.Equals(Names[i], name, StringComparison.OrdinalIgnoreCase))
            {
                value = (RhythmClass)i;
                return true;
            }
        }

        value = RhythmClass.Normal;
        return false;
    }
}
