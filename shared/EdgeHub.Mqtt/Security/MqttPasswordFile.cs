using System.Security.Cryptography;
using System.Text;

namespace EdgeHub.Mqtt.Security;

/// <summary>
/// Password file in the mosquitto_passwd format: one <c>user:$7$iterations$salt$hash</c> line per user, where hash is
/// PBKDF2-HMAC-SHA512 (64 bytes) of the password with the base64 salt. Files written by mosquitto_passwd load unchanged
/// (its older <c>$6$salt$hash</c> SHA-512 lines too); blank lines and <c>#</c> comments are ignored. A user may also have
/// a <c>user:$scram-sha-256$iterations$salt$storedKey$serverKey</c> line (base64 fields, RFC 5802 §3): what the broker
/// needs to verify SCRAM-SHA-256 enhanced authentication, and enough to check a plain password for that user too.
/// </summary>
public sealed class MqttPasswordFile
{
    /// <summary>Iterations used by <see cref="HashPassword"/> (mosquitto_passwd uses 101; more is stronger and slower per CONNECT).</summary>
    public const int DefaultIterations = 10_000;

    private const string ScramPrefix = "$scram-sha-256$";
    private readonly Dictionary<string, string> _entries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ScramCredential> _scram = new(StringComparer.Ordinal);

    /// <summary>Users in the file.</summary>
    public int Count
    {
        get
        {
            var count = _entries.Count;
            foreach (var user in _scram.Keys)
            {
                if (!_entries.ContainsKey(user))
                {
                    count++;
                }
            }
            return count;
        }
    }

    /// <summary>The SCRAM-SHA-256 credential of <paramref name="username"/>, or null when the file has none for it.</summary>
    public ScramCredential? FindScram(string username) => _scram.GetValueOrDefault(username);

    /// <summary>Parses <paramref name="path"/>; a malformed line fails with its line number.</summary>
    public static MqttPasswordFile Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"password file '{path}' does not exist (create it with mosquitto_passwd or ./edgehub broker passwd)", path);
        }
        return Parse(File.ReadAllLines(path), path);
    }

    /// <summary>Parses password-file lines.</summary>
    public static MqttPasswordFile Parse(IEnumerable<string> lines, string source = "password file")
    {
        ArgumentNullException.ThrowIfNull(lines);
        var file = new MqttPasswordFile();
        var number = 0;
        foreach (var raw in lines)
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || !line[(colon + 1)..].StartsWith('$'))
            {
                throw new FormatException($"{source} line {number}: expected 'user:$7$iterations$salt$hash' (as written by mosquitto_passwd)");
            }
            var entry = line[(colon + 1)..];
            if (entry.StartsWith(ScramPrefix, StringComparison.Ordinal))
            {
                file._scram[line[..colon]] = ParseScram(entry, source, number);
            }
            else
            {
                file._entries[line[..colon]] = entry;
            }
        }
        return file;
    }

    private static ScramCredential ParseScram(string entry, string source, int number)
    {
        var parts = entry[ScramPrefix.Length..].Split('$');
        try
        {
            if (parts.Length == 4 && int.TryParse(parts[0], System.Globalization.CultureInfo.InvariantCulture, out var iterations) && iterations > 0)
            {
                var credential = new ScramCredential(Convert.FromBase64String(parts[1]), iterations, Convert.FromBase64String(parts[2]), Convert.FromBase64String(parts[3]));
                if (credential.StoredKey.Length == 32 && credential.ServerKey.Length == 32)
                {
                    return credential;
                }
            }
        }
        catch (FormatException)
        {
        }
        throw new FormatException($"{source} line {number}: expected 'user:$scram-sha-256$iterations$salt$storedKey$serverKey' (base64; ./edgehub broker passwd writes it)");
    }

    /// <summary>True when <paramref name="username"/> exists and <paramref name="password"/> matches its hash.</summary>
    public bool Verify(string username, ReadOnlySpan<byte> password)
    {
        if (!_entries.TryGetValue(username, out var entry))
        {
            return _scram.TryGetValue(username, out var scram) && scram.Matches(password);
        }
        var parts = entry.Split('$');
        try
        {
            if (parts.Length == 5 && parts[1] == "7")
            {
                var iterations = int.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture);
                var salt = Convert.FromBase64String(parts[3]);
                var expected = Convert.FromBase64String(parts[4]);
                var actual = Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA512, expected.Length);
                return CryptographicOperations.FixedTimeEquals(actual, expected);
            }
            if (parts.Length == 4 && parts[1] == "6")
            {
                var salt = Convert.FromBase64String(parts[2]);
                var expected = Convert.FromBase64String(parts[3]);
                var input = new byte[password.Length + salt.Length];
                password.CopyTo(input);
                salt.CopyTo(input, password.Length);
                return CryptographicOperations.FixedTimeEquals(SHA512.HashData(input), expected);
            }
        }
        catch (FormatException)
        {
            return false;
        }
        return false;
    }

    /// <summary>Creates a <c>$7$</c> entry (PBKDF2-SHA512, random 12-byte salt) for a password file line.</summary>
    public static string HashPassword(string password, int iterations = DefaultIterations)
    {
        ArgumentNullException.ThrowIfNull(password);
        var salt = RandomNumberGenerator.GetBytes(12);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA512, 64);
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"$7${iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}");
    }

    /// <summary>Creates a <c>$scram-sha-256$</c> entry (RFC 7677 credential, random 16-byte salt) for a password file line.</summary>
    public static string ScramEntry(string password, int iterations = ScramSha256.DefaultIterations)
    {
        var c = ScramCredential.Create(password, iterations);
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{ScramPrefix}{iterations}${Convert.ToBase64String(c.Salt)}${Convert.ToBase64String(c.StoredKey)}${Convert.ToBase64String(c.ServerKey)}");
    }
}
