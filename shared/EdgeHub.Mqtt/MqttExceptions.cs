using EdgeHub.Mqtt.Protocol;

namespace EdgeHub.Mqtt;

/// <summary>Base of all MQTT failures; carries the v5 reason code that describes it.</summary>
public class MqttException : Exception
{
    /// <summary>Creates an exception.</summary>
    public MqttException() : this("MQTT error") { }
    /// <summary>Creates an exception.</summary>
    public MqttException(string message) : this(message, MqttReasonCode.UnspecifiedError) { }
    /// <summary>Creates an exception.</summary>
    public MqttException(string message, Exception inner) : base(message, inner) => ReasonCode = MqttReasonCode.UnspecifiedError;
    /// <summary>Creates an exception with a reason code.</summary>
    public MqttException(string message, MqttReasonCode reasonCode) : base(message) => ReasonCode = reasonCode;

    /// <summary>The reason code (v5 numbering) that describes the failure.</summary>
    public MqttReasonCode ReasonCode { get; }
}

/// <summary>A malformed packet or protocol violation; the connection is closed with <see cref="MqttException.ReasonCode"/>.</summary>
public sealed class MqttProtocolException : MqttException
{
    /// <summary>Creates an exception.</summary>
    public MqttProtocolException() : base("MQTT protocol error", MqttReasonCode.ProtocolError) { }
    /// <summary>Creates an exception.</summary>
    public MqttProtocolException(string message) : base(message, MqttReasonCode.MalformedPacket) { }
    /// <summary>Creates an exception.</summary>
    public MqttProtocolException(string message, Exception inner) : base(message, inner) { }
    /// <summary>Creates an exception with a reason code.</summary>
    public MqttProtocolException(string message, MqttReasonCode reasonCode) : base(message, reasonCode) { }
}

/// <summary>The server refused the connection (CONNACK with a failure code) or could not be reached.</summary>
public sealed class MqttConnectException : MqttException
{
    /// <summary>Creates an exception.</summary>
    public MqttConnectException() : base("MQTT connect failed", MqttReasonCode.UnspecifiedError) { }
    /// <summary>Creates an exception.</summary>
    public MqttConnectException(string message) : base(message, MqttReasonCode.UnspecifiedError) { }
    /// <summary>Creates an exception.</summary>
    public MqttConnectException(string message, Exception inner) : base(message, inner) { }
    /// <summary>Creates an exception with a reason code.</summary>
    public MqttConnectException(string message, MqttReasonCode reasonCode) : base(message, reasonCode) { }
}

/// <summary>A QoS 1/2 publication was rejected by the server (PUBACK/PUBREC with a failure code).</summary>
public sealed class MqttPublishException : MqttException
{
    /// <summary>Creates an exception.</summary>
    public MqttPublishException() : base("MQTT publish failed", MqttReasonCode.UnspecifiedError) { }
    /// <summary>Creates an exception.</summary>
    public MqttPublishException(string message) : base(message, MqttReasonCode.UnspecifiedError) { }
    /// <summary>Creates an exception.</summary>
    public MqttPublishException(string message, Exception inner) : base(message, inner) { }
    /// <summary>Creates an exception with a reason code.</summary>
    public MqttPublishException(string message, MqttReasonCode reasonCode) : base(message, reasonCode) { }
}
