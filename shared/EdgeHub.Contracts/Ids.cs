namespace EdgeHub.Contracts;

/// <summary>Rules for identifiers that appear in topics, file names and tables (device, edge, site, region ids).</summary>
public static class Ids
{
    /// <summary>Longest identifier we accept.</summary>
    public const int MaxLength = 64;

    /// <summary>True when <paramref name="id"/> is 1–64 chars of [A-Za-z0-9._-]: safe as one MQTT topic level and a file name.</summary>
    public static bool IsValid(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > MaxLength || id == "." || id == "..")
        {
            return false;
        }

        foreach (var c in id)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_' || c == '.'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Throws an <see cref="ArgumentException"/> naming <paramref name="what"/> when the id is not valid.</summary>
    public static string Validate(string? id, string what) =>
        IsValid(id) ? id! : throw new ArgumentException($"{what} '{id}' is not a valid id: use 1-{MaxLength} characters of A-Z a-z 0-9 . _ -");
}
