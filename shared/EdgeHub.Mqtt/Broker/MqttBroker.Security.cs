using EdgeHub.Mqtt.Protocol;
using EdgeHub.Mqtt.Security;
using Microsoft.Extensions.Logging;

namespace EdgeHub.Mqtt;

/// <summary>Authentication (password file) and authorization (ACL file).</summary>
public sealed partial class MqttBroker
{
    private MqttPasswordFile? _passwords;
    private MqttAcl? _acl;

    private readonly Dictionary<string, IMqttAuthenticator> _authenticators = new(StringComparer.Ordinal);

    /// <summary>The enhanced authentication method named <paramref name="method"/>, or null when not offered.</summary>
    internal IMqttAuthenticator? FindAuthenticator(string method) => _authenticators.GetValueOrDefault(method);

    private void LoadSecurity()
    {
        foreach (var authenticator in Options.Authenticators)
        {
            _authenticators[authenticator.Method] = authenticator;
        }
        if (Options.PasswordFile is { } pw)
        {
            _passwords = MqttPasswordFile.Load(pw);
            _logger.LogInformation("loaded {Count} users from {File}", _passwords.Count, pw);
            // SCRAM-SHA-256 against the same file, for users that have a $scram-sha-256$ line.
            var passwords = _passwords;
            _authenticators.TryAdd(ScramSha256.Method, new ScramSha256Authenticator(passwords.FindScram));
        }
        if (Options.AclFile is { } acl)
        {
            _acl = MqttAcl.Load(acl);
            _logger.LogInformation("loaded ACL rules from {File}", acl);
        }
    }

    private MqttReasonCode Authenticate(string? username, byte[]? password)
    {
        if (username is null)
        {
            return Options.AllowAnonymous ? MqttReasonCode.Success : MqttReasonCode.NotAuthorized;
        }
        if (_passwords is null)
        {
            return MqttReasonCode.Success;
        }
        return _passwords.Verify(username, password ?? []) ? MqttReasonCode.Success : MqttReasonCode.BadUserNameOrPassword;
    }

    private bool IsAuthorized(string clientId, string? username, string topic, AclAccess access) =>
        _acl is null || _acl.IsAllowed(clientId, username, topic, access);

    private bool IsSubscribeAuthorized(string clientId, string? username, string topicFilter) =>
        _acl is null || _acl.IsSubscribeAllowed(clientId, username, topicFilter);
}
