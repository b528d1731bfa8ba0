namespace EdgeHub.Contracts;

/// <summary>MQTT 5 content-type property values our payloads carry.</summary>
public static class ContentTypes
{
    /// <summary>Compact binary telemetry frame (<see cref="TelemetryCodec"/>); also assumed when no content type is given.</summary>
    public const string TelemetryBinary = "application/vnd.edgehub.telemetry.v1";

    /// <summary>Telemetry frame as JSON (<see cref="TelemetryCodec.TryParseJson"/>).</summary>
    public const string TelemetryJson = "application/json";

    /// <summary>A Parquet delta file.</summary>
    public const string Parquet = "application/vnd.apache.parquet";

    /// <summary>JSON control messages (feedback, alerts, labels, acks, assignments, status).</summary>
    public const string Json = "application/json";
}
