using System.Security.Cryptography;
using System.Text;

namespace EdgeHub.Mqtt.Security;

/// <summary>
/// Client side of SCRAM-SHA-256 (RFC 7677): proves knowledge of the password without sending it, and checks the
/// broker's ServerSignature so a broker without the credential is refused too.
/// </summary>
public sealed class ScramSha256ClientAuthenticator : IMqttClientAuthenticator
{
    /// <summary>Iteration counts above this are refused: a hostile broker could otherwise make every connect burn CPU.</summary>
    public const int MaxIterations = 1_000_000;

    private readonly string _username;
    private readonly string _password;

    /// <summary>Authenticates as <paramref name="username"/> with <paramref name="password"/>.</summary>
    public ScramSha256ClientAuthenticator(string username, string password)
    {
        ArgumentException.ThrowIfNullOrEmpty(username);
        ArgumentNullException.ThrowIfNull(password);
        _username = username;
        _password = password;
    }

    /// <inheritdoc />
    public string Method => ScramSha256.Method;

    /// <inheritdoc />
    public IMqttClientAuthExchange Begin() => new Exchange(this);

    private sealed class Exchange(ScramSha256ClientAuthenticator owner) : IMqttClientAuthExchange
    {
        private const string Gs2Header = "n,,";
        private readonly string _clientNonce = ScramSha256.Nonce();
        private string _clientFirstBare = "";
        private byte[]? _expectedServerSignature;

        public byte[]? InitialData()
        {
            _clientFirstBare = "n=" + ScramSha256.EscapeName(owner._username) + ",r=" + _clientNonce;
            return Encoding.UTF8.GetBytes(Gs2Header + _clientFirstBare);
        }

        public byte[] Respond(ReadOnlySpan<byte> challenge)
        {
            if (_expectedServerSignature != null)
            {
                throw new MqttException("SCRAM: the broker sent a second challenge", Protocol.MqttReasonCode.ProtocolError);
            }
            var serverFirst = Encoding.UTF8.GetString(challenge);
            var attributes = ScramSha256.Attributes(serverFirst);
            if (attributes is null || !attributes.TryGetValue('r', out var nonce) || !attributes.TryGetValue('s', out var saltText) ||
                !attributes.TryGetValue('i', out var iterationText) || !int.TryParse(iterationText, System.Globalization.CultureInfo.InvariantCulture, out var iterations) ||
                iterations < 1 || iterations > MaxIterations || !nonce.StartsWith(_clientNonce, StringComparison.Ordinal) || nonce.Length == _clientNonce.Length)
            {
                throw new MqttException($"SCRAM: malformed server-first-message '{serverFirst}'", Protocol.MqttReasonCode.ProtocolError);
            }
            byte[] salt;
            try
            {
                salt = Convert.FromBase64String(saltText);
            }
            catch (FormatException)
            {
                throw new MqttException("SCRAM: the broker's salt is not base64", Protocol.MqttReasonCode.ProtocolError);
            }
            var salted = ScramSha256.SaltedPassword(owner._password, salt, iterations);
            var clientKey = HMACSHA256.HashData(salted, "Client Key"u8);
            var storedKey = SHA256.HashData(clientKey);
            var withoutProof = "c=" + Convert.ToBase64String(Encoding.UTF8.GetBytes(Gs2Header)) + ",r=" + nonce;
            var authMessage = _clientFirstBare + "," + serverFirst + "," + withoutProof;
            var proof = ScramSha256.Xor(clientKey, ScramSha256.ClientSignature(storedKey, authMessage));
            _expectedServerSignature = ScramSha256.ServerSignature(HMACSHA256.HashData(salted, "Server Key"u8), authMessage);
            return Encoding.UTF8.GetBytes(withoutProof + ",p=" + Convert.ToBase64String(proof));
        }

        public void Complete(ReadOnlySpan<byte> serverFinal)
        {
            var text = Encoding.UTF8.GetString(serverFinal);
            var attributes = ScramSha256.Attributes(text);
            if (_expectedServerSignature is null || attributes is null || !attributes.TryGetValue('v', out var signature))
            {
                throw new MqttException($"SCRAM: the broker did not prove it knows the credential ('{text}')", Protocol.MqttReasonCode.NotAuthorized);
            }
            byte[] actual;
            try
            {
                actual = Convert.FromBase64String(signature);
            }
            catch (FormatException)
            {
                actual = [];
            }
            if (!CryptographicOperations.FixedTimeEquals(actual, _expectedServerSignature))
            {
                throw new MqttException("SCRAM: the broker's ServerSignature is wrong (not the broker holding this credential)", Protocol.MqttReasonCode.NotAuthorized);
            }
        }
    }
}
