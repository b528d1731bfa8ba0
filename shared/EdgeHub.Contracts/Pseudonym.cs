using System.Security.Cryptography;
using System.Text;

namespace EdgeHub.Contracts;

/// <summary>
/// Pseudonymises patient and device identifiers with HMAC-SHA256 under the region's key, so the same patient maps to the same
/// pseudonym within a region (needed to join windows and labels) and nobody without the key can reverse or link it.
/// </summary>
public sealed class Pseudonymizer
{
    private readonly byte[] _key;

    /// <summary>Creates a pseudonymiser; the key must be at least 16 bytes.</summary>
    public Pseudonymizer(ReadOnlySpan<byte> key)
    {
        if (key.Length < 16)
        {
            throw new ArgumentException($"pseudonymisation key has {key.Length} bytes; use at least 16 (32 recommended)", nameof(key));
        }

        _key = key.ToArray();
    }

    /// <summary>Creates one from a key given as base64 or hex in settings.</summary>
    public static Pseudonymizer FromSetting(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        byte[] bytes;
        try
        {
            bytes = key.Length % 2 == 0 && key.All(Uri.IsHexDigit) ? Convert.FromHexString(key) : Convert.FromBase64String(key);
        }
        catch (FormatException)
        {
            throw new ArgumentException("pseudonymisation key must be hex or base64");
        }

        return new Pseudonymizer(bytes);
    }

    /// <summary>"p_" + 20 hex chars of HMAC-SHA256(key, kind + ":" + id).</summary>
    public string Pseudonymise(string kind, string id)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(id);
        var input = Encoding.UTF8.GetBytes($"{kind}:{id}");
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_key, input, mac);
        return "p_" + Convert.ToHexStringLower(mac[..10]);
    }
}
