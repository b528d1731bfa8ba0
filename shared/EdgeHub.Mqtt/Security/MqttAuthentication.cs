using EdgeHub.Mqtt.Protocol;

namespace EdgeHub.Mqtt.Security;

/// <summary>
/// A broker-side enhanced authentication method (MQTT 5 §4.12): the CONNECT Authentication Method names it, and
/// <see cref="Begin"/> starts one exchange per authentication (the CONNECT one, and each re-authentication).
/// </summary>
public interface IMqttAuthenticator
{
    /// <summary>Authentication Method as sent by clients, e.g. <c>SCRAM-SHA-256</c> (compared case-sensitively).</summary>
    string Method { get; }

    /// <summary>Starts an exchange for <paramref name="clientId"/>.</summary>
    IMqttAuthExchange Begin(string clientId);
}

/// <summary>One authentication exchange on the broker side.</summary>
public interface IMqttAuthExchange
{
    /// <summary>
    /// Consumes the client's Authentication Data (from CONNECT or AUTH; empty when absent) and decides the next step:
    /// continue with a challenge (AUTH 0x18), succeed (with final data for CONNACK / AUTH 0x00), or fail.
    /// </summary>
    MqttAuthStep Step(ReadOnlySpan<byte> clientData);
}

/// <summary>What an authentication step decided.</summary>
public enum MqttAuthOutcome
{
    /// <summary>Send <see cref="MqttAuthStep.Data"/> in AUTH (Continue authentication) and wait for the answer.</summary>
    Continue,
    /// <summary>Authenticated as <see cref="MqttAuthStep.Username"/>; <see cref="MqttAuthStep.Data"/> goes to the client.</summary>
    Success,
    /// <summary>Refused with <see cref="MqttAuthStep.ReasonCode"/>.</summary>
    Failure,
}

/// <summary>Result of <see cref="IMqttAuthExchange.Step"/>.</summary>
public readonly record struct MqttAuthStep(MqttAuthOutcome Outcome, byte[]? Data, string? Username, MqttReasonCode ReasonCode, string? Reason)
{
    /// <summary>Another round: send <paramref name="challenge"/>.</summary>
    public static MqttAuthStep Continue(byte[] challenge) => new(MqttAuthOutcome.Continue, challenge, null, MqttReasonCode.ContinueAuthentication, null);

    /// <summary>Authenticated.</summary>
    public static MqttAuthStep Success(string username, byte[]? data) => new(MqttAuthOutcome.Success, data, username, MqttReasonCode.Success, null);

    /// <summary>Refused; <paramref name="reason"/> is logged and sent as the reason string.</summary>
    public static MqttAuthStep Fail(string reason, MqttReasonCode code = MqttReasonCode.NotAuthorized) => new(MqttAuthOutcome.Failure, null, null, code, reason);
}

/// <summary>A client-side enhanced authentication method (MQTT 5 §4.12), set in <see cref="MqttClientOptions.Authentication"/>.</summary>
public interface IMqttClientAuthenticator
{
    /// <summary>Authentication Method sent in CONNECT (and AUTH for re-authentication).</summary>
    string Method { get; }

    /// <summary>Starts an exchange (a fresh one for every connect and re-authentication).</summary>
    IMqttClientAuthExchange Begin();
}

/// <summary>One authentication exchange on the client side.</summary>
public interface IMqttClientAuthExchange
{
    /// <summary>Authentication Data for CONNECT (or the re-authentication AUTH); null for none.</summary>
    byte[]? InitialData();

    /// <summary>Answers a broker challenge (AUTH Continue authentication).</summary>
    byte[] Respond(ReadOnlySpan<byte> challenge);

    /// <summary>Checks the broker's final data (CONNACK / AUTH Success); throws <see cref="MqttException"/> when the broker cannot be trusted.</summary>
    void Complete(ReadOnlySpan<byte> serverFinal);
}
