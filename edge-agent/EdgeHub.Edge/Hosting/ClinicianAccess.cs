using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace EdgeHub.Edge.Hosting;

/// <summary>
/// Checks clinician tokens (<see cref="ClinicianOptions"/>) on the clinician API. A request proves itself with
/// <c>Authorization: Bearer TOKEN</c> (scripts, API clients) or with the sign-in cookie <see cref="CookieName"/> that
/// <c>POST /api/clinician/session</c> sets. Why a cookie: the page's link carries the token in the URL fragment
/// (<c>/#token=…</c>), which browsers never send to the server, so it stays out of access logs, proxies and Referer
/// headers; the page trades it once for an HttpOnly cookie (scripts cannot read it back) with SameSite=Strict (no other site
/// can make the browser post a label with it) and drops the fragment from the address bar. The cookie then rides along on
/// the server-sent alert stream, which cannot carry custom headers in an EventSource.
/// </summary>
public sealed class ClinicianAccess
{
    /// <summary>Name of the sign-in cookie.</summary>
    public const string CookieName = "ehub_clinician";

    private readonly ClinicianToken[] _tokens;
    private readonly byte[][] _digests;

    /// <summary>Creates the checker over the configured tokens.</summary>
    public ClinicianAccess(ClinicianOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _tokens = [.. options.Tokens];
        _digests = new byte[_tokens.Length][];
        for (var i = 0; i < _tokens.Length; i++)
        {
            _digests[i] = Digest(_tokens[i].Token);
        }

        SessionLifetime = TimeSpan.FromHours(options.SessionHours);
    }

    /// <summary>Tokens configured (0 = every request is refused).</summary>
    public int TokenCount => _tokens.Length;

    /// <summary>How long a sign-in cookie lasts.</summary>
    public TimeSpan SessionLifetime { get; }

    /// <summary>
    /// The token holder of <paramref name="http"/>, or null with <paramref name="failure"/> set to a 401 whose JSON
    /// <c>detail</c> says what was missing or wrong and what to do.
    /// </summary>
    public ClinicianToken? Authenticate(HttpContext http, out IResult? failure)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (_tokens.Length == 0)
        {
            failure = Unauthorized("this edge has no clinician tokens: the operator must add Edge:Clinician:Tokens (name, token, sites) to the edge's settings");
            return null;
        }

        var presented = Presented(http, out var from);
        if (presented is null)
        {
            failure = Unauthorized("sign-in needed: open the clinician link with its #token=… (from the edge operator), or send Authorization: Bearer <token>");
            return null;
        }

        var holder = Match(presented);
        if (holder is null)
        {
            failure = Unauthorized(from == "cookie"
                ? "the sign-in cookie holds a token this edge does not know (revoked or changed): open the clinician link again"
                : "the clinician token is not valid on this edge: check the link or ask the edge operator for a new one");
            return null;
        }

        failure = null;
        return holder;
    }

    /// <summary>The configured token equal to <paramref name="presented"/>, compared in constant time over every token.</summary>
    public ClinicianToken? Match(string presented)
    {
        ArgumentNullException.ThrowIfNull(presented);
        // Compare fixed-size digests so neither the length nor the first differing byte of a guess shows in the timing,
        // and visit every token so the position of a match does not either.
        var digest = Digest(presented);
        ClinicianToken? found = null;
        for (var i = 0; i < _digests.Length; i++)
        {
            if (CryptographicOperations.FixedTimeEquals(digest, _digests[i]))
            {
                found = _tokens[i];
            }
        }

        return found;
    }

    /// <summary>SHA-256 of a secret: secrets are compared as fixed-size digests in constant time (see <see cref="Match"/>).</summary>
    public static byte[] Digest(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    /// <summary>The bearer token of the request only (what the sign-in exchange accepts), or null.</summary>
    public static string? Bearer(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var header = http.Request.Headers.Authorization.ToString();
        const string Scheme = "Bearer ";
        return header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) && header.Length > Scheme.Length
            ? header[Scheme.Length..].Trim()
            : null;
    }

    /// <summary>A 401 with a JSON problem body and the Bearer challenge.</summary>
    public static IResult Unauthorized(string reason) => new Challenge(reason);

    /// <summary>A 403 with a JSON problem body: the token is valid but does not grant the site.</summary>
    public static IResult Forbidden(ClinicianToken holder, string siteId) =>
        Results.Problem(statusCode: StatusCodes.Status403Forbidden,
            detail: $"clinician '{holder.Name}' has no access to site '{siteId}' (token grants: {string.Join(", ", holder.Sites)})");

    private static string? Presented(HttpContext http, out string from)
    {
        from = "header";
        var bearer = Bearer(http);
        if (bearer is not null)
        {
            return bearer;
        }

        from = "cookie";
        return http.Request.Cookies.TryGetValue(CookieName, out var cookie) && !string.IsNullOrEmpty(cookie) ? cookie : null;
    }

    /// <summary>401 problem+json with <c>WWW-Authenticate: Bearer</c> (RFC 6750 §3).</summary>
    private sealed class Challenge(string reason) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.WWWAuthenticate = "Bearer realm=\"edgehub-clinician\"";
            return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, detail: reason).ExecuteAsync(httpContext);
        }
    }
}
