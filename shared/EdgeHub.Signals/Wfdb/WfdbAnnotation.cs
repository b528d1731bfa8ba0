namespace EdgeHub.Signals;

/// <summary>One annotation from a WFDB annotation file.</summary>
/// <param name="Sample">Sample number the annotation refers to.</param>
/// <param name="Code">MIT annotation code (1 = N, 5 = V, 28 = rhythm change, …).</param>
/// <param name="SubType">Subtype (SUB pseudo-annotation; 0 when absent).</param>
/// <param name="Channel">Signal the annotation refers to (CHN; carried over from the previous annotation).</param>
/// <param name="Number">NUM field (carried over from the previous annotation).</param>
/// <param name="Aux">Auxiliary string (AUX), e.g. "(AFIB" on rhythm changes, or null.</param>
/// <param name="Seconds">Time in seconds when a sampling frequency was known, else NaN.</param>
public readonly record struct WfdbAnnotation(long Sample, int Code, int SubType, int Channel, int Number, string? Aux, double Seconds)
{
    /// <summary>The annotation's mnemonic (N, V, +, [, …).</summary>
    public string Symbol => AnnotationCodes.Symbol(Code);

    /// <summary>True for beat annotations (the WFDB <c>isqrs</c> set: N L R a V F J A S E j / Q e n f r ? B).</summary>
    public bool IsBeat => AnnotationCodes.IsBeat(Code);
}

/// <summary>MIT annotation codes (WFDB <c>ecgcodes.h</c>) and their mnemonics.</summary>
public static class AnnotationCodes
{
    /// <summary>Start of ventricular flutter/fibrillation ('[').</summary>
    public const int VfOn = 32;

    /// <summary>End of ventricular flutter/fibrillation (']').</summary>
    public const int VfOff = 33;

    /// <summary>Signal quality change ('~').</summary>
    public const int Noise = 14;

    /// <summary>Rhythm change ('+'); the aux string names the rhythm.</summary>
    public const int Rhythm = 28;

    /// <summary>Premature ventricular contraction ('V').</summary>
    public const int Pvc = 5;

    // Index = code. Unused codes are empty.
    private static readonly string[] Symbols =
    [
        " ", "N", "L", "R", "a", "V", "F", "J", "A", "S", "E", "j", "/", "Q", "~", "", "|", "", "s", "T", "*", "D", "\"", "=", "p", "B",
        "^", "t", "+", "u", "?", "!", "[", "]", "e", "n", "@", "x", "f", "(", ")", "r",
    ];

    /// <summary>Mnemonic of a code ("" when unknown).</summary>
    public static string Symbol(int code) => code >= 0 && code < Symbols.Length ? Symbols[code] : "";

    /// <summary>True when the code is a QRS (beat) annotation, as WFDB <c>isqrs</c> defines it.</summary>
    public static bool IsBeat(int code) => code switch
    {
        >= 1 and <= 13 => true,
        25 or 30 or 34 or 35 or 38 or 41 => true,
        _ => false,
    };
}
