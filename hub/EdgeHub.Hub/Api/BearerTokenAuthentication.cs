using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using EdgeHub.Hub.Options;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeHub.Hub.Api;

/// <summary>The set of accepted bearer tokens, kept as SHA-256 digests (lookups do not compare secrets byte by byte).</summary>
public sealed class TokenStore
{
    private readonly Dictionary<string, string> _roles = new(StringComparer.Ordinal);

    /// <summary>Builds the store from token → role pairs.</summary>
    public TokenStore(IReadOnlyDictionary<string, string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        foreach (var (token, role) in tokens)
        {
            _roles[Digest(token)] = role;
        }
    }

    /// <summary>The role of <paramref name="token"/>, or null when unknown.</summary>
    public string? RoleOf(string token) => _roles.GetValueOrDefault(Digest(token));

    private static string Digest(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}

/// <summary>
/// "Authorization: Bearer TOKEN" authentication. Failures answer 401 with a JSON reason (missing header, wrong scheme,
/// unknown token) and a WWW-Authenticate header (RFC 6750 §3); a known token without the needed role answers 403 with the role it lacks.
/// </summary>
public sealed class BearerTokenHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, TokenStore tokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    /// <summary>The scheme name.</summary>
    public const string SchemeName = "Bearer";

    /// <inheritdoc />
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            return Task.FromResult(AuthenticateResult.Fail("no bearer token: send 'Authorization: Bearer <token>'"));
        }

        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return Task.FromResult(AuthenticateResult.Fail("the Authorization header must use the Bearer scheme: 'Authorization: Bearer <token>'"));
        }

        var token = header["Bearer ".Length..].Trim();
        var role = tokens.RoleOf(token);
        if (role is null)
        {
            return Task.FromResult(AuthenticateResult.Fail("the bearer token is not known to this hub: use a token from the hub's settings 'Api:Tokens'"));
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, role), new Claim(ClaimTypes.Role, role)], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    /// <inheritdoc />
    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync().ConfigureAwait(false);
        var reason = result.Failure?.Message ?? "authentication required: send 'Authorization: Bearer <token>'";
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer realm=\"edgehub\", error=\"invalid_token\"";
        await Response.WriteAsJsonAsync(new ApiError("unauthorized", reason)).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var role = Context.User.FindFirst(ClaimTypes.Role)?.Value ?? "none";
        var reason = role == Roles.Viewer
            ? "a viewer token may read but not change anything: use an operator token"
            : $"role '{role}' may not do this: use an operator token";
        Response.StatusCode = StatusCodes.Status403Forbidden;
        await Response.WriteAsJsonAsync(new ApiError("forbidden", reason)).ConfigureAwait(false);
    }
}

/// <summary>The JSON body of every API error.</summary>
public sealed record ApiError(string Error, string Reason);

/// <summary>Authorization policy names.</summary>
public static class Policies
{
    /// <summary>Read access: viewer or operator.</summary>
    public const string Read = "read";
    /// <summary>Changes: operator only.</summary>
    public const string Operate = "operate";
    /// <summary>Delta upload: edge or operator.</summary>
    public const string Upload = "upload";
    /// <summary>Model download: any token (edges fetch the bytes their assignment names).</summary>
    public const string Download = "download";
}
