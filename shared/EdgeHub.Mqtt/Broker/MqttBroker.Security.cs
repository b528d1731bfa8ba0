using EdgeHub.Mqtt.Protocol;
using EdgeHub.Mqtt.Security;
using Microsoft.Extensions.Logging;

namespace EdgeHub.Mqtt;

/// <summary>Authentication (password file) and authorization (ACL file).</summary>
public sealed partial class MqttBroker
{
    private MqttPasswordFile? _passwords;
    private MqttAcl? _acl;

    private void LoadSecurity()
    {
        if (Options.PasswordFile is { } pw)
        {
            _passwords = MqttPasswordFile.Load(pw);
            _logger.LogInformation("loaded {Count} users from {File}", _passwords.Count, pw);
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
