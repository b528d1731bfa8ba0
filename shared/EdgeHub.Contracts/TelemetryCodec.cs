using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace EdgeHub.Contracts;

/// <summary>Why a telemetry payload was refused; <see cref="TelemetryCodec.Describe"/> gives the sentence for people.</summary>
public enum FrameError
{
    None,
    TooShort,
    BadMagic,
    UnsupportedVersion,
    BadSampleRate,
    BadSampleCount,
    LengthMismatch,
    BadGain,
    BadIdentity,
    BadVitals,
    BadJson,
}

/// <summary>
/// Binary telemetry frame, version 1, little-endian:
/// <code>
///  0  2  magic "EH"            18  2  sample count          30  2  diastolic mmHg (0xFFFF = none)
///  2  1  version = 1           20  4  gain float32 (units/mV) 32  2  temperature centi-°C (int16, 0x7FFF = none)
///  3  1  flags (bit 0 lead-off)24  2  baseline int16         34  1  patient id length (UTF-8 bytes, 1-64)
///  4  4  sequence uint32       26  1  SpO2 % (0xFF = none)   35  1  site id length (1-64)
///  8  8  first-sample time µs  27  1  resp/min (0xFF = none) 36  1  bed length (0-64)
/// 16  2  sample rate Hz        28  2  systolic mmHg (0xFFFF)  37  1  reserved (0)
/// 38  …  patient id, site id, bed (UTF-8), then sample count × int16 samples
/// </code>
/// </summary>
public static class TelemetryCodec
{
    public const int HeaderSize = 38;
    public const byte Version = 1;
    public const int MinSampleRate = 125;
    public const int MaxSampleRate = 1000;

    /// <summary>Size of the encoded frame.</summary>
    public static int GetEncodedSize(TelemetryFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        return HeaderSize + Encoding.UTF8.GetByteCount(frame.PatientId) + Encoding.UTF8.GetByteCount(frame.SiteId)
            + Encoding.UTF8.GetByteCount(frame.Bed) + (2 * frame.SampleCount);
    }

    /// <summary>Encodes <paramref name="frame"/> into <paramref name="destination"/>; returns the bytes written.</summary>
    public static int Encode(TelemetryFrame frame, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var size = GetEncodedSize(frame);
        if (destination.Length < size)
        {
            throw new ArgumentException($"destination holds {destination.Length} bytes, the frame needs {size}", nameof(destination));
        }

        destination[0] = (byte)'E';
        destination[1] = (byte)'H';
        destination[2] = Version;
        destination[3] = frame.LeadOff ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], frame.Sequence);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], frame.TimestampMicros);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[16..], checked((ushort)frame.SampleRate));
        BinaryPrimitives.WriteUInt16LittleEndian(destination[18..], (ushort)frame.SampleCount);
        BinaryPrimitives.WriteSingleLittleEndian(destination[20..], frame.Gain);
        BinaryPrimitives.WriteInt16LittleEndian(destination[24..], frame.Baseline);
        destination[26] = frame.SpO2 ?? 0xFF;
        destination[27] = frame.RespirationRate ?? 0xFF;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[28..], frame.Systolic ?? 0xFFFF);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[30..], frame.Diastolic ?? 0xFFFF);
        BinaryPrimitives.WriteInt16LittleEndian(destination[32..],
            frame.TemperatureC is { } t ? (short)Math.Round(t * 100) : short.MaxValue);
        var offset = HeaderSize;
        destination[34] = (byte)WriteString(frame.PatientId, destination, ref offset);
        destination[35] = (byte)WriteString(frame.SiteId, destination, ref offset);
        destination[36] = (byte)WriteString(frame.Bed, destination, ref offset);
        destination[37] = 0;
        foreach (var sample in frame.Samples)
        {
            BinaryPrimitives.WriteInt16LittleEndian(destination[offset..], sample);
            offset += 2;
        }

        return offset;
    }

    /// <summary>Encodes into a new array.</summary>
    public static byte[] Encode(TelemetryFrame frame)
    {
        var bytes = new byte[GetEncodedSize(frame)];
        Encode(frame, bytes);
        return bytes;
    }

    private static int WriteString(string value, Span<byte> destination, ref int offset)
    {
        var written = Encoding.UTF8.GetBytes(value, destination[offset..]);
        offset += written;
        return written;
    }

    /// <summary>
    /// Parses a binary frame into <paramref name="frame"/> (overwriting it). On failure returns the reason and leaves the frame
    /// in an unspecified state. Never throws for any input.
    /// </summary>
    public static FrameError TryParse(ReadOnlySpan<byte> payload, TelemetryFrame frame)
    {
        var error = TryParse(payload, frame, out var identity);
        if (error == FrameError.None)
        {
            frame.PatientId = identity.PatientIdString();
            frame.SiteId = identity.SiteIdString();
            frame.Bed = identity.BedString();
        }

        return error;
    }

    /// <summary>
    /// Parses a binary frame like <see cref="TryParse(ReadOnlySpan{byte}, TelemetryFrame)"/> but leaves the frame's identity
    /// strings untouched: <paramref name="identity"/> gives the validated UTF-8 bytes inside <paramref name="payload"/>, so a
    /// caller that caches each device's identity compares bytes and decodes strings only when they change (no allocation per
    /// frame). Never throws for any input.
    /// </summary>
    public static FrameError TryParse(ReadOnlySpan<byte> payload, TelemetryFrame frame, out TelemetryIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(frame);
        identity = default;
        if (payload.Length < HeaderSize)
        {
            return FrameError.TooShort;
        }

        if (payload[0] != (byte)'E' || payload[1] != (byte)'H')
        {
            return FrameError.BadMagic;
        }

        if (payload[2] != Version)
        {
            return FrameError.UnsupportedVersion;
        }

        int rate = BinaryPrimitives.ReadUInt16LittleEndian(payload[16..]);
        int count = BinaryPrimitives.ReadUInt16LittleEndian(payload[18..]);
        if (rate is < MinSampleRate or > MaxSampleRate)
        {
            return FrameError.BadSampleRate;
        }

        if (count == 0 || count > TelemetryFrame.MaxSamples)
        {
            return FrameError.BadSampleCount;
        }

        int patientLength = payload[34], siteLength = payload[35], bedLength = payload[36];
        if (patientLength is 0 or > Ids.MaxLength || siteLength is 0 or > Ids.MaxLength || bedLength > Ids.MaxLength)
        {
            return FrameError.BadIdentity;
        }

        var expected = HeaderSize + patientLength + siteLength + bedLength + (2 * count);
        if (payload.Length != expected)
        {
            return FrameError.LengthMismatch;
        }

        var gain = BinaryPrimitives.ReadSingleLittleEndian(payload[20..]);
        if (!float.IsFinite(gain) || gain <= 0)
        {
            return FrameError.BadGain;
        }

        frame.LeadOff = (payload[3] & 1) != 0;
        frame.Sequence = BinaryPrimitives.ReadUInt32LittleEndian(payload[4..]);
        frame.TimestampMicros = BinaryPrimitives.ReadInt64LittleEndian(payload[8..]);
        frame.SampleRate = rate;
        frame.Gain = gain;
        frame.Baseline = BinaryPrimitives.ReadInt16LittleEndian(payload[24..]);
        frame.SpO2 = payload[26] == 0xFF ? null : payload[26];
        frame.RespirationRate = payload[27] == 0xFF ? null : payload[27];
        var systolic = BinaryPrimitives.ReadUInt16LittleEndian(payload[28..]);
        var diastolic = BinaryPrimitives.ReadUInt16LittleEndian(payload[30..]);
        var temperature = BinaryPrimitives.ReadInt16LittleEndian(payload[32..]);
        frame.Systolic = systolic == 0xFFFF ? null : systolic;
        frame.Diastolic = diastolic == 0xFFFF ? null : diastolic;
        frame.TemperatureC = temperature == short.MaxValue ? null : temperature / 100f;
        if (!VitalsPlausible(frame))
        {
            return FrameError.BadVitals;
        }

        var patient = payload.Slice(HeaderSize, patientLength);
        var site = payload.Slice(HeaderSize + patientLength, siteLength);
        var bed = payload.Slice(HeaderSize + patientLength + siteLength, bedLength);
        if (!TelemetryIdentity.IsPrintableUtf8(patient) || !TelemetryIdentity.IsPrintableUtf8(site) || !TelemetryIdentity.IsPrintableUtf8(bed))
        {
            return FrameError.BadIdentity;
        }

        identity = new TelemetryIdentity(patient, site, bed);
        var samples = frame.SetSampleCount(count);
        var raw = payload[(HeaderSize + patientLength + siteLength + bedLength)..];
        if (BitConverter.IsLittleEndian)
        {
            // The wire is little-endian int16: on this machine a straight copy (no per-sample decode).
            System.Runtime.InteropServices.MemoryMarshal.Cast<byte, short>(raw).CopyTo(samples);
        }
        else
        {
            for (var i = 0; i < count; i++)
            {
                samples[i] = BinaryPrimitives.ReadInt16LittleEndian(raw[(2 * i)..]);
            }
        }

        return FrameError.None;
    }

    private static bool IsPrintable(string value)
    {
        foreach (var c in value)
        {
            if (char.IsControl(c))
            {
                return false;
            }
        }

        return true;
    }

    private static bool VitalsPlausible(TelemetryFrame frame) =>
        frame.SpO2 is null or <= 100
        && frame.RespirationRate is null or <= 120
        && frame.Systolic is null or <= 400
        && frame.Diastolic is null or <= 300
        && frame.TemperatureC is null or (>= 20 and <= 45);

    /// <summary>Parses the JSON form: {"seq","ts","fs","gain","baseline","ecg":[...],"spo2","resp","sys","dia","temp","patient","site","bed","leadOff"}.</summary>
    public static FrameError TryParseJson(ReadOnlySpan<byte> payload, TelemetryFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        try
        {
            using var doc = JsonDocument.Parse(payload.ToArray(), new JsonDocumentOptions { MaxDepth = 4 });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("ecg", out var ecg) || ecg.ValueKind != JsonValueKind.Array)
            {
                return FrameError.BadJson;
            }

            var rate = root.TryGetProperty("fs", out var fs) && fs.TryGetInt32(out var r) ? r : 0;
            if (rate is < MinSampleRate or > MaxSampleRate)
            {
                return FrameError.BadSampleRate;
            }

            var count = ecg.GetArrayLength();
            if (count == 0 || count > TelemetryFrame.MaxSamples)
            {
                return FrameError.BadSampleCount;
            }

            frame.SampleRate = rate;
            frame.Sequence = root.TryGetProperty("seq", out var seq) && seq.TryGetUInt32(out var s) ? s : 0;
            frame.TimestampMicros = root.TryGetProperty("ts", out var ts) && ts.TryGetInt64(out var t) ? t : 0;
            frame.Gain = root.TryGetProperty("gain", out var g) && g.TryGetSingle(out var gv) ? gv : 200f;
            if (!float.IsFinite(frame.Gain) || frame.Gain <= 0)
            {
                return FrameError.BadGain;
            }

            frame.Baseline = root.TryGetProperty("baseline", out var b) && b.TryGetInt16(out var bv) ? bv : (short)0;
            frame.LeadOff = root.TryGetProperty("leadOff", out var lo) && lo.ValueKind == JsonValueKind.True;
            frame.SpO2 = root.TryGetProperty("spo2", out var o2) && o2.TryGetByte(out var o2v) ? o2v : null;
            frame.RespirationRate = root.TryGetProperty("resp", out var rr) && rr.TryGetByte(out var rrv) ? rrv : null;
            frame.Systolic = root.TryGetProperty("sys", out var sy) && sy.TryGetUInt16(out var syv) ? syv : null;
            frame.Diastolic = root.TryGetProperty("dia", out var di) && di.TryGetUInt16(out var div) ? div : null;
            frame.TemperatureC = root.TryGetProperty("temp", out var te) && te.TryGetSingle(out var tev) ? tev : null;
            frame.PatientId = root.TryGetProperty("patient", out var p) ? p.GetString() ?? "" : "";
            frame.SiteId = root.TryGetProperty("site", out var si) ? si.GetString() ?? "" : "";
            frame.Bed = root.TryGetProperty("bed", out var bd) ? bd.GetString() ?? "" : "";
            if (frame.PatientId.Length is 0 or > Ids.MaxLength || !Ids.IsValid(frame.SiteId) || frame.Bed.Length > Ids.MaxLength
                || !IsPrintable(frame.PatientId) || !IsPrintable(frame.Bed))
            {
                return FrameError.BadIdentity;
            }

            if (!VitalsPlausible(frame))
            {
                return FrameError.BadVitals;
            }

            var samples = frame.SetSampleCount(count);
            var i = 0;
            foreach (var v in ecg.EnumerateArray())
            {
                if (!v.TryGetInt16(out samples[i++]))
                {
                    return FrameError.BadJson;
                }
            }

            return FrameError.None;
        }
        catch (JsonException)
        {
            return FrameError.BadJson;
        }
    }

    /// <summary>A sentence for people (logs, the device's feedback topic).</summary>
    public static string Describe(FrameError error) => error switch
    {
        FrameError.None => "ok",
        FrameError.TooShort => $"frame shorter than the {HeaderSize}-byte header",
        FrameError.BadMagic => "frame does not start with the magic bytes 'EH'",
        FrameError.UnsupportedVersion => $"frame version is not {Version}",
        FrameError.BadSampleRate => $"sample rate outside {MinSampleRate}-{MaxSampleRate} Hz",
        FrameError.BadSampleCount => $"sample count must be 1-{TelemetryFrame.MaxSamples}",
        FrameError.LengthMismatch => "frame length does not match its header (identity lengths + 2 bytes per sample)",
        FrameError.BadGain => "gain must be a positive finite number",
        FrameError.BadIdentity => "patient, site or bed identifier missing, too long, not UTF-8 or not a valid id",
        FrameError.BadVitals => "vital signs out of physical range",
        FrameError.BadJson => "JSON frame malformed or missing 'ecg' samples",
        _ => error.ToString(),
    };
}
