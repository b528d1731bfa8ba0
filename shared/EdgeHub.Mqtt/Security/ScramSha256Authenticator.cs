using System.Security.Cryptography;
using System.Text;

namespace EdgeHub.Mqtt.Security;

/// <summary>
/// Broker side of SCRAM-SHA-256 (RFC 7677, RFC 5802 §3/§5): CONNECT carries client-first-message, AUTH (Continue)
/// carries server-first-message and then client-final-message, and CONNACK (or AUTH Success when re-authenticating)
/// carries server-final-message, with which the client checks that the broker knows its credential too. Channel binding
/// is not offered ("n" or "y" GS2 flags only). Unknown users get a made-up salt so they look like known ones.
/// </summary>
public sealed class ScramSha256Authenticator : IMqttAuthenticator
{
    private readonly Func<string, ScramCredential?> _lookup;
    private readonly byte[] _fakeSaltKey = RandomNumberGenerator.GetBytes(32);

    /// <summary>Verifies against credentials found by <paramref name="lookup"/> (user name → credential, or null).</summary>
    public ScramSha256Authenticator(Func<string, ScramCredential?> lookup)
    {
        ArgumentNullException.ThrowIfNull(lookup);
        _lookup = lookup;
    }

    /// <inheritdoc />
    public string Method => ScramSha256.Method;

    /// <inheritdoc />
    public IMqttAuthExchange Begin(string clientId) => new Exchange(this);

    private sealed class Exchange(ScramSha256Authenticator owner) : IMqttAuthExchange
    {
        private int _state;
        private string? _user;
        private ScramCredential? _credential;
        private string _gs2Header = "";
        private string _clientFirstBare = "";
        private string _serverFirst = "";
        private string _nonce = "";

        public MqttAuthStep Step(ReadOnlySpan<byte> clientData)
        {
            string text;
            try
            {
                text = new UTF8Encoding(false, true).GetString(clientData);
            }
            catch (DecoderFallbackException)
            {
                return MqttAuthStep.Fail("SCRAM message is not UTF-8", Protocol.MqttReasonCode.MalformedPacket);
            }
            return _state++ switch
            {
                0 => ClientFirst(text),
                1 => ClientFinal(text),
                _ => MqttAuthStep.Fail("SCRAM exchange already finished", Protocol.MqttReasonCode.ProtocolError),
            };
        }

        private MqttAuthStep ClientFirst(string message)
        {
            // gs2-header = gs2-cbind-flag "," [ authzid ] ","
            var first = message.IndexOf(',', StringComparison.Ordinal);
            var second = first < 0 ? -1 : message.IndexOf(',', first + 1);
            if (second < 0)
            {
                return MqttAuthStep.Fail("SCRAM client-first-message expected ('n,,n=USER,r=NONCE')", Protocol.MqttReasonCode.NotAuthorized);
            }
            var flag = message[..first];
            if (flag != "n" && flag != "y")
            {
                return MqttAuthStep.Fail("SCRAM channel binding is not supported (use GS2 flag 'n')");
            }
            _gs2Header = message[..(second + 1)];
            _clientFirstBare = message[(second + 1)..];
            var attributes = ScramSha256.Attributes(_clientFirstBare);
            if (attributes is null || attributes.ContainsKey('m') || !attributes.TryGetValue('n', out var name) || !attributes.TryGetValue('r', out var clientNonce) ||
                clientNonce.Length == 0 || ScramSha256.UnescapeName(name) is not { Length: > 0 } user)
            {
                return MqttAuthStep.Fail("SCRAM client-first-message malformed (needs n=USER,r=NONCE; no mandatory extensions)");
            }
            _user = user;
            _credential = owner._lookup(user);
            var salt = _credential?.Salt ?? HMACSHA256.HashData(owner._fakeSaltKey, Encoding.UTF8.GetBytes(user))[..16];
            var iterations = _credential?.Iterations ?? ScramSha256.DefaultIterations;
            _nonce = clientNonce + ScramSha256.Nonce();
            _serverFirst = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"r={_nonce},s={Convert.ToBase64String(salt)},i={iterations}");
            return MqttAuthStep.Continue(Encoding.UTF8.GetBytes(_serverFirst));
        }

        private MqttAuthStep ClientFinal(string message)
        {
            var proofAt = message.LastIndexOf(",p=", StringComparison.Ordinal);
            var attributes = ScramSha256.Attributes(message);
            if (proofAt < 0 || attributes is null || !attributes.TryGetValue('c', out var binding) || !attributes.TryGetValue('r', out var nonce) ||
                !attributes.TryGetValue('p', out var proofText))
            {
                return MqttAuthStep.Fail("SCRAM client-final-message malformed (needs c=,r=,p=)");
            }
            if (nonce != _nonce || binding != Convert.ToBase64String(Encoding.UTF8.GetBytes(_gs2Header)))
            {
                return MqttAuthStep.Fail("SCRAM nonce or channel binding does not match this exchange");
            }
            byte[] proof;
            try
            {
                proof = Convert.FromBase64String(proofText);
            }
            catch (FormatException)
            {
                return MqttAuthStep.Fail("SCRAM proof is not base64");
            }
            if (_credential is not { } credential || proof.Length != credential.StoredKey.Length)
            {
                return MqttAuthStep.Fail($"SCRAM authentication of '{_user}' failed");
            }
            var authMessage = _clientFirstBare + "," + _serverFirst + "," + message[..proofAt];
            var clientKey = ScramSha256.Xor(proof, ScramSha256.ClientSignature(credential.StoredKey, authMessage));
            if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(clientKey), credential.StoredKey))
            {
                return MqttAuthStep.Fail($"SCRAM authentication of '{_user}' failed");
            }
            var serverFinal = "v=" + Convert.ToBase64String(ScramSha256.ServerSignature(credential.ServerKey, authMessage));
            return MqttAuthStep.Success(_user!, Encoding.UTF8.GetBytes(serverFinal));
        }
    }
}
