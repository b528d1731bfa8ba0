using EdgeHub.Contracts;

namespace EdgeHub.Edge;

/// <summary>
/// Who may use the clinician page and its API (<c>Edge:Clinician</c>). Every token names a clinician (recorded as the
/// labeller of every label posted with it) and the sites it may see and label. With no tokens the page and its API refuse
/// everyone (401): labels feed retraining, so an open page would let anyone on the network teach the model.
/// </summary>
public sealed class ClinicianOptions
{
    /// <summary>Shortest token accepted: 16 characters, about 96 bits when random base64url.</summary>
    public const int MinTokenLength = 16;

    /// <summary>Access tokens (<c>Edge:Clinician:Tokens:0:Name</c>, <c>…:Token</c>, <c>…:Sites:0</c>).</summary>
    public List<ClinicianToken> Tokens { get; set; } = [];

    /// <summary>Hours a sign-in cookie stays valid (the page signs in again with its link afterwards).</summary>
    public double SessionHours { get; set; } = 12;

    internal void Validate()
    {
        EdgeOptions.Check(SessionHours > 0, "Edge:Clinician:SessionHours must be positive");
        for (var i = 0; i < Tokens.Count; i++)
        {
            var t = Tokens[i];
            var at = $"Edge:Clinician:Tokens:{i}";
            EdgeOptions.Check(!string.IsNullOrWhiteSpace(t.Name), $"{at}:Name is empty: name the clinician (or team) the token belongs to; it is recorded as the labeller");
            EdgeOptions.Check(t.Token is { Length: >= MinTokenLength },
                $"{at}:Token of '{t.Name}' is shorter than {MinTokenLength} characters: use a random secret (e.g. `openssl rand -base64 24`)");
            EdgeOptions.Check(t.Token.AsSpan().IndexOfAny(" ;,\"\\") < 0 && !t.Token.Any(char.IsControl),
                $"{at}:Token of '{t.Name}' contains a space, quote, comma, semicolon, backslash or control character: use base64url or hex");
            foreach (var site in t.Sites)
            {
                EdgeOptions.Check(Ids.IsValid(site), $"{at}:Sites entry '{site}' is not a valid site id");
            }

            for (var j = 0; j < i; j++)
            {
                EdgeOptions.Check(!string.Equals(Tokens[j].Token, t.Token, StringComparison.Ordinal),
                    $"{at}:Token of '{t.Name}' is the same as the token of '{Tokens[j].Name}': each clinician needs their own token");
            }
        }
    }
}

/// <summary>One clinician access token.</summary>
public sealed class ClinicianToken
{
    /// <summary>Who holds the token (recorded as the labeller).</summary>
    public string Name { get; set; } = "";

    /// <summary>The secret (at least <see cref="ClinicianOptions.MinTokenLength"/> characters).</summary>
    public string Token { get; set; } = "";

    /// <summary>Sites (wards) this token may see and label; empty = every site of the edge.</summary>
    public List<string> Sites { get; set; } = [];

    /// <summary>True when the token grants <paramref name="siteId"/>.</summary>
    public bool Allows(string siteId)
    {
        if (Sites.Count == 0)
        {
            return true;
        }

        foreach (var s in Sites)
        {
            if (string.Equals(s, siteId, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
