using System.Buffers;
using System.Text.Json;
using EdgeHub.Contracts;

namespace EdgeHub.Edge.Ingest;

/// <summary>
/// Writes <see cref="Feedback"/> JSON by hand with the same property names and null handling as
/// <see cref="ContractsJson"/> (camelCase, nulls omitted), without allocating a record per frame. One instance per thread.
/// </summary>
// Utf8JsonWriter over an ArrayBufferWriter holds only managed memory: nothing to dispose (CA1001 would cascade to every owner).
#pragma warning disable CA1001
public sealed class FeedbackWriter
#pragma warning restore CA1001
{
    private readonly ArrayBufferWriter<byte> _buffer = new(256);
    private readonly Utf8JsonWriter _json;

    /// <summary>Creates a writer.</summary>
    public FeedbackWriter() => _json = new Utf8JsonWriter(_buffer);

    /// <summary>The feedback for one processed frame, as a new exact-size array (the MQTT client keeps it until sent).</summary>
    public byte[] Write(uint seq, double? heartRate, int rhythm, float probability, bool alert, string? alertId, string? modelVersion)
    {
        _buffer.ResetWrittenCount();
        _json.Reset(_buffer);
        _json.WriteStartObject();
        _json.WriteNumber("seq", seq);
        if (heartRate is { } hr && double.IsFinite(hr))
        {
            _json.WriteNumber("heartRate", Math.Round(hr, 1));
        }

        if (rhythm >= 0)
        {
            _json.WriteString("rhythm", RhythmClasses.Names[rhythm]);
            _json.WriteNumber("probability", MathF.Round(probability, 3));
        }

        _json.WriteString("state", alert ? "alert" : "ok");
        if (alertId is not null)
        {
            _json.WriteString("alertId", alertId);
        }

        if (modelVersion is not null)
        {
            _json.WriteString("modelVersion", modelVersion);
        }

        _json.WriteEndObject();
        _json.Flush();
        return _buffer.WrittenSpan.ToArray();
    }

    /// <summary>Feedback for a refused frame (rare: serialised through the contract type).</summary>
    public static byte[] Error(uint seq, string error) =>
        JsonSerializer.SerializeToUtf8Bytes(new Feedback { Seq = seq, State = "error", Error = error }, ContractsJson.Default.Feedback);
}
