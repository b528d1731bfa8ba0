using EdgeHub.Mqtt.Packets;
using EdgeHub.Mqtt.Protocol;
using EdgeHub.Mqtt.Security;
using Microsoft.Extensions.Logging;

namespace EdgeHub.Mqtt.Broker;

/// <summary>
/// Enhanced authentication (MQTT 5 §4.12): the AUTH exchange that runs between CONNECT and CONNACK, and
/// re-authentication (AUTH Re-authenticate) on a connected session.
/// </summary>
internal sealed partial class BrokerConnection
{
    private string? _authMethod;
    private IMqttAuthExchange? _authExchange;
    private MqttConnectPacket? _pendingConnect;

    /// <summary>User proven by enhanced authentication (null when the connection used none).</summary>
    public string? AuthenticatedUser { get; private set; }

    /// <summary>Starts enhanced authentication for a CONNECT with an Authentication Method; false ends the connection.</summary>
    private bool BeginConnectAuth(MqttConnectPacket connect, string method)
    {
        if (_broker.FindAuthenticator(method) is not { } authenticator)
        {
            // [MQTT-4.12.0-?] / §3.2.2.2: an unsupported method is refused with 0x8C.
            _logger.LogInformation("refused {Remote}: authentication method '{Method}' is not offered", Remote, method);
            Send(new MqttConnAckPacket { ReasonCode = MqttReasonCode.BadAuthenticationMethod, ReasonString = $"authentication method '{method}' is not supported" });
            _outbound.TryComplete();
            return false;
        }
        _authMethod = method;
        _authExchange = authenticator.Begin(connect.ClientId);
        _pendingConnect = connect;
        return ConnectAuthStep(connect.AuthenticationData);
    }

    /// <summary>An AUTH before CONNACK: must continue the method CONNECT named [MQTT-4.12.0-2, MQTT-4.12.0-5].</summary>
    private bool HandlePreConnectAuth(MqttPacket packet)
    {
        if (packet is not MqttAuthPacket auth || auth.ReasonCode != MqttReasonCode.ContinueAuthentication || auth.AuthenticationMethod != _authMethod)
        {
            throw new MqttProtocolException($"protocol error: expected AUTH (Continue authentication, method {_authMethod}) during authentication, got {packet.Type}",
                MqttReasonCode.ProtocolError);
        }
        return ConnectAuthStep(auth.AuthenticationData);
    }

    private bool ConnectAuthStep(byte[]? data)
    {
        var step = _authExchange!.Step(data ?? []);
        switch (step.Outcome)
        {
            case MqttAuthOutcome.Continue:
                Send(new MqttAuthPacket { ReasonCode = MqttReasonCode.ContinueAuthentication, AuthenticationMethod = _authMethod, AuthenticationData = step.Data });
                return true;
            case MqttAuthOutcome.Failure:
                _logger.LogInformation("refused {Remote}: {Method} authentication failed: {Reason}", Remote, _authMethod, step.Reason);
                Send(new MqttConnAckPacket { ReasonCode = step.ReasonCode, ReasonString = step.Reason });
                _outbound.TryComplete();
                return false;
            default:
                var connect = _pendingConnect!;
                _pendingConnect = null;
                _authExchange = null;
                AuthenticatedUser = step.Username;
                Username = step.Username;
                _connAckAuthData = step.Data;
                return FinishConnect(connect);
        }
    }

    /// <summary>AUTH on a connected session: re-authentication with the CONNECT method [MQTT-4.12.1-1].</summary>
    private void HandleReauth(MqttAuthPacket auth)
    {
        if (_authMethod is null)
        {
            throw new MqttProtocolException("protocol error: AUTH without an authentication method in CONNECT [MQTT-4.12.0-1]", MqttReasonCode.ProtocolError);
        }
        if (auth.AuthenticationMethod != _authMethod)
        {
            throw new MqttProtocolException($"protocol error: re-authentication must use the CONNECT method {_authMethod} [MQTT-4.12.1-1]", MqttReasonCode.ProtocolError);
        }
        if (auth.ReasonCode == MqttReasonCode.ReAuthenticate && _authExchange is null)
        {
            _authExchange = _broker.FindAuthenticator(_authMethod)!.Begin(ClientId);
        }
        else if (auth.ReasonCode != MqttReasonCode.ContinueAuthentication || _authExchange is null)
        {
            throw new MqttProtocolException($"protocol error: unexpected AUTH {auth.ReasonCode}", MqttReasonCode.ProtocolError);
        }
        var step = _authExchange.Step(auth.AuthenticationData ?? []);
        switch (step.Outcome)
        {
            case MqttAuthOutcome.Continue:
                Send(new MqttAuthPacket { ReasonCode = MqttReasonCode.ContinueAuthentication, AuthenticationMethod = _authMethod, AuthenticationData = step.Data });
                return;
            case MqttAuthOutcome.Success when step.Username == AuthenticatedUser:
                _authExchange = null;
                Send(new MqttAuthPacket { ReasonCode = MqttReasonCode.Success, AuthenticationMethod = _authMethod, AuthenticationData = step.Data });
                return;
            case MqttAuthOutcome.Success:
                _logger.LogInformation("disconnecting {ClientId}: re-authenticated as '{User}', connected as '{Original}'", ClientId, step.Username, AuthenticatedUser);
                Disconnect(MqttReasonCode.NotAuthorized, "re-authentication must prove the same user");
                return;
            default:
                // §4.12.1: a failed re-authentication should end the connection with a DISCONNECT.
                _logger.LogInformation("disconnecting {ClientId}: re-authentication failed: {Reason}", ClientId, step.Reason);
                Disconnect(step.ReasonCode, step.Reason);
                return;
        }
    }
}
