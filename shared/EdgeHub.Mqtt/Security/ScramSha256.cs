using System.Security.Cryptography;
using System.Text;

namespace EdgeHub.Mqtt.Security;

/// <summary>What a server stores to verify SCRAM-SHA-256 without the password (RFC 5802 §3): salt, iterations, StoredKey, ServerKey.</summary>
public sealed record ScramCredential(byte[] Salt, int Iterations, byte[] StoredKey, byte[] ServerKey)
{
    /// <summary>Derives the credential from a password (PBKDF2-HMAC-SHA-256, RFC 7677).</summary>
    public static ScramCredential Create(string password, int iterations = ScramSha256.DefaultIterations, byte[]? salt = null)
    {
        ArgumentNullException.ThrowIfNull(password);
        salt ??= RandomNumberGenerator.GetBytes(16);
        var salted = ScramSha256.SaltedPassword(password, salt, iterations);
        var clientKey = HMACSHA256.HashData(salted, "Client Key"u8);
        return new ScramCredential(salt, iterations, SHA256.HashData(clientKey), HMACSHA256.HashData(salted, "Server Key"u8));
    }

    /// <summary>True when <paramref name="password"/> derives this credential (plain username/password CONNECT against a SCRAM-only entry).</summary>
    public bool Matches(ReadOnlySpan<byte> password)
    {
        var salted = Rfc2898DeriveBytes.Pbkdf2(password, Salt, Iterations, HashAlgorithmName.SHA256, 32);
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(HMACSHA256.HashData(salted, "Client Key"u8)), StoredKey);
    }
}

/// <summary>SCRAM-SHA-256 (RFC 7677 over RFC 5802) message pieces shared by the broker and the client.</summary>
public static class ScramSha256
{
    /// <summary>The MQTT Authentication Method name.</summary>
    public const string Method = "SCRAM-SHA-256";

    /// <summary>Iterations for new credentials (RFC 7677 §4 asks for at least 4096).</summary>
    public const int DefaultIterations = 4096;

    internal static byte[] SaltedPassword(string password, byte[] salt, int iterations) =>
        // RFC 5802 §2.2 wants SASLprep'd passwords; ours are used as given (UTF-8), which equals SASLprep for ASCII.
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, 32);

    /// <summary>A nonce of printable characters without ',' (RFC 5802 §7).</summary>
    internal static string Nonce() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(18));

    /// <summary>saslname escaping (§5.1): ',' as =2C and '=' as =3D.</summary>
    internal static string EscapeName(string name) => name.Replace("=", "=3D", StringComparison.Ordinal).Replace(",", "=2C", StringComparison.Ordinal);

    internal static string? UnescapeName(string name)
    {
        var sb = new StringBuilder(name.Length);
        for (var i = 0; i < name.Length; i++)
        {
            if (name[i] != '=')
            {
                sb.Append(name[i]);
                continue;
            }
            if (string.CompareOrdinal(name, i, "=2C", 0, 3) == 0)
            {
                sb.Append(',');
            }
            else if (string.CompareOrdinal(name, i, "=3D", 0, 3) == 0)
            {
                sb.Append('=');
            }
            else
            {
                return null; // §5.1: any other '=' makes the name invalid
            }
            i += 2;
        }
        return sb.ToString();
    }

    /// <summary>Splits <c>a=1,b=2</c> attributes; null when a part is not <c>letter=value</c>.</summary>
    internal static Dictionary<char, string>? Attributes(string message)
    {
        var result = new Dictionary<char, string>();
        foreach (var part in message.Split(','))
        {
            if (part.Length < 2 || part[1] != '=' || !char.IsAsciiLetter(part[0]) || !result.TryAdd(part[0], part[2..]))
            {
                return null;
            }
        }
        return result;
    }

    internal static byte[] ClientSignature(byte[] storedKey, string authMessage) => HMACSHA256.HashData(storedKey, Encoding.UTF8.GetBytes(authMessage));

    internal static byte[] ServerSignature(byte[] serverKey, string authMessage) => HMACSHA256.HashData(serverKey, Encoding.UTF8.GetBytes(authMessage));

    internal static byte[] Xor(byte[] a, byte[] b)
    {
        var result = new byte[a.Length];
        for (var i = 0; i < a.Length; i++)
        {
            result[i] = (byte)(a[i] ^ b[i]);
        }
        return result;
    }
}
