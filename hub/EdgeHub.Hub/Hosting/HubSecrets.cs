using System.Security.Cryptography;
using EdgeHub.Hub.Options;
using Microsoft.Extensions.Logging;
using EdgeHub.Common;

namespace EdgeHub.Hub.Hosting;

/// <summary>
/// The hub's signing key and API tokens. Both are created on first start in the data root when the settings give none,
/// so that a hub with no settings file works; several nodes sharing a data root end up with the same key (the first
/// writer wins an atomic create, the others read its file).
/// </summary>
public static class HubSecrets
{
    /// <summary>Loads the ECDSA P-256 signing key from <see cref="HubOptions.SigningKeyPath"/>, creating it when missing.</summary>
    public static ECDsa LoadOrCreateSigningKey(HubOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        var path = options.SigningKeyPath;
        if (!File.Exists(path))
        {
            using var fresh = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            if (CreateAtomically(path, fresh.ExportPkcs8PrivateKeyPem()))
            {
                logger.LogInformation("created the hub signing key {Path}; edges verify models with its public key (GET /api/v1/signing-key)", path);
            }
        }

        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(File.ReadAllText(path));
        }
        catch (ArgumentException ex)
        {
            key.Dispose();
            throw new InvalidDataException($"signing key file '{path}' does not hold a PEM private key: {ex.Message}", ex);
        }

        if (key.KeySize != 256)
        {
            key.Dispose();
            throw new InvalidDataException($"signing key file '{path}' holds a {key.KeySize}-bit key: the hub signs with ECDSA P-256");
        }

        return key;
    }

    /// <summary>
    /// Adds a generated operator token (kept in DATAROOT/keys/operator.token) when the settings give no tokens at all,
    /// so the API is usable out of the box and never open without a token.
    /// </summary>
    public static void EnsureTokens(HubOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        if (options.Api.Tokens.Count > 0)
        {
            return;
        }

        var path = OperatorTokenPath(options);
        if (!File.Exists(path) && CreateAtomically(path, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24)) + "\n"))
        {
            logger.LogWarning("no API tokens configured: created an operator token in {Path}", path);
        }

        options.Api.Tokens[File.ReadAllText(path).Trim()] = Roles.Operator;
    }

    /// <summary>Where the generated operator token lives.</summary>
    public static string OperatorTokenPath(HubOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Path.Combine(options.DataRoot, "keys", "operator.token");
    }

    private static bool CreateAtomically(string path, string content) =>
        AtomicFile.TryCreate(path, System.Text.Encoding.UTF8.GetBytes(content), AtomicFileOptions.OwnerOnly);
}
