using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;
using EdgeHub.Contracts;

namespace EdgeHub.Edge.Ingest;

/// <summary>
/// Writes <see cref="Feedback"/> JSON by hand with the same property names and null handling as
/// <see cref="ContractsJson"/> (camelCase, nulls omitted), without allocating a record per frame: property names and class
/// names are pre-encoded, and the two decimals (heart rate to 0.1, probability to 0.001) are written as scaled integers
/// instead of through shortest round-trip float formatting, which cost more than the rest of the feedback path.
/// One instance per thread.
/// </summary>
// Utf8JsonWriter over an ArrayBufferWriter holds only managed memory: nothing to dispose (CA1001 would cascade to every owner).
#pragma warning disable CA1001
public sealed class FeedbackWriter
#pragma warning restore CA1001
{
    private static readonly JsonEncodedText Seq = JsonEncodedText.Encode("seq");
    private static readonly JsonEncodedText HeartRate = JsonEncodedText.Encode("heartRate");
    private static readonly JsonEncodedText Rhythm = JsonEncodedText.Encode("rhythm");
    private static readonly JsonEncodedText Probability = JsonEncodedText.Encode("probability");
    private static readonly JsonEncodedText State = JsonEncodedText.Encode("state");
    private static readonly JsonEncodedText AlertId = JsonEncodedText.Encode("alertId");
    private static readonly JsonEncodedText ModelVersion = JsonEncodedText.Encode("modelVersion");
    private static readonly JsonEncodedText Alert = JsonEncodedText.Encode("alert");
    private static readonly JsonEncodedText Ok = JsonEncodedText.Encode("ok");
    private static readonly JsonEncodedText[] RhythmNames = EncodeAll(RhythmClasses.Names);
    private readonly ArrayBufferWriter<byte> _buffer = new(256);
    private readonly Utf8JsonWriter _json;
    private readonly byte[] _number = new byte[32];
    private string? _modelVersion;
    private JsonEncodedText _modelVersionText;

    /// <summary>Creates a writer.</summary>
    public FeedbackWriter() => _json = new Utf8JsonWriter(_buffer);

    /// <summary>
    /// The feedback for one processed frame, in the writer's own buffer: valid until the next call (publishers copy it before
    /// they return), so a frame's feedback allocates nothing here.
    /// </summary>
    public ReadOnlyMemory<byte> Write(uint seq, double? heartRate, int rhythm, float probability, bool alert, string? alertId, string? modelVersion)
    {
        _buffer.ResetWrittenCount();
        _json.Reset(_buffer);
        _json.WriteStartObject();
        _json.WriteNumber(Seq, seq);
        if (heartRate is { } hr && double.IsFinite(hr))
        {
            WriteDecimal(HeartRate, hr, 10);
        }

        if (rhythm >= 0)
        {
            _json.WriteString(Rhythm, RhythmNames[rhythm]);
            WriteDecimal(Probability, probability, 1000);
        }

        _json.WriteString(State, alert ? Alert : Ok);
        if (alertId is not null)
        {
            _json.WriteString(AlertId, alertId);
        }

        if (modelVersion is not null)
        {
            if (!ReferenceEquals(modelVersion, _modelVersion))
            {
                _modelVersion = modelVersion;
                _modelVersionText = JsonEncodedText.Encode(modelVersion);
            }

            _json.WriteString(ModelVersion, _modelVersionText);
        }

        _json.WriteEndObject();
        _json.Flush();
        return _buffer.WrittenMemory;
    }

    /// <summary>Feedback for a refused frame (rare: serialised through the contract type).</summary>
    public static byte[] Error(uint seq, string error) =>
        JsonSerializer.SerializeToUtf8Bytes(new Feedback { Seq = seq, State = "error", Error = error }, ContractsJson.Default.Feedback);

    /// <summary>
    /// Writes <paramref name="value"/> rounded to 1/<paramref name="scale"/> (10 or 1000) as a JSON number without trailing
    /// zeros: the same text as the shortest form of the rounded double ("72.4", "72", "0.93").
    /// </summary>
    private void WriteDecimal(JsonEncodedText name, double value, int scale)
    {
        var scaled = (long)Math.Round(value * scale);
        var span = _number.AsSpan();
        var n = 0;
        if (scaled < 0)
        {
            span[n++] = (byte)'-';
            scaled = -scaled;
        }

        Utf8Formatter.TryFormat(scaled / scale, span[n..], out var written);
        n += written;
        var fraction = scaled % scale;
        if (fraction != 0)
        {
            span[n++] = (byte)'.';
            for (var unit = scale / 10; unit > 0 && fraction != 0; unit /= 10)
            {
                span[n++] = (byte)('0' + (fraction / unit));
                fraction %= unit;
            }
        }

        _json.WritePropertyName(name);
        _json.WriteRawValue(span[..n], skipInputValidation: true);
    }

    private static JsonEncodedText[] EncodeAll(IReadOnlyList<string> names)
    {
        var encoded = new JsonEncodedText[names.Count];
        for (var i = 0; i < encoded.Length; i++)
        {
            encoded[i] = JsonEncodedText.Encode(names[i]);
        }

        return encoded;
    }
}
