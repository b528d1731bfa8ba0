using System.Globalization;

namespace EdgeHub.Learning.Registry;

/// <summary>Model version strings: "{region}-{n}" with n counting up from 1 per region.</summary>
public static class ModelVersions
{
    /// <summary>"eu-7".</summary>
    public static string Format(string region, long number) => string.Create(CultureInfo.InvariantCulture, $"{region}-{number}");

    /// <summary>The number of a "{region}-{n}" version, or null when it has another shape.</summary>
    public static long? Number(string version)
    {
        ArgumentNullException.ThrowIfNull(version);
        var dash = version.LastIndexOf('-');
        return dash >= 0 && long.TryParse(version.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
    }

    /// <summary>Orders "eu-9" before "eu-10" (numerically within a region), other strings ordinally.</summary>
    public static int Compare(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var na = Number(a);
        var nb = Number(b);
        if (na is { } x && nb is { } y && a.AsSpan(0, a.LastIndexOf('-')).SequenceEqual(b.AsSpan(0, b.LastIndexOf('-'))))
        {
            return x.CompareTo(y);
        }

        return string.CompareOrdinal(a, b);
    }
}
