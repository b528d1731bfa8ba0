using System.Text;

namespace EdgeHub.Contracts;

/// <summary>
/// The identity fields of a binary telemetry frame as validated UTF-8 bytes inside the payload (valid only while the payload
/// is): patient id, site id and bed. Lets a receiver compare them against a device's cached identity without decoding
/// strings for every frame. See <see cref="TelemetryCodec.TryParse(ReadOnlySpan{byte}, TelemetryFrame, out TelemetryIdentity)"/>.
/// </summary>
public readonly ref struct TelemetryIdentity
{
    /// <summary>Wraps the three fields (already validated by the codec).</summary>
    public TelemetryIdentity(ReadOnlySpan<byte> patientId, ReadOnlySpan<byte> siteId, ReadOnlySpan<byte> bed)
    {
        PatientId = patientId;
        SiteId = siteId;
        Bed = bed;
    }

    /// <summary>Raw patient id, UTF-8 (1-64 bytes).</summary>
    public ReadOnlySpan<byte> PatientId { get; }

    /// <summary>Site id, UTF-8 (1-64 bytes).</summary>
    public ReadOnlySpan<byte> SiteId { get; }

    /// <summary>Bed label, UTF-8 (0-64 bytes).</summary>
    public ReadOnlySpan<byte> Bed { get; }

    /// <summary>Total bytes of the three fields.</summary>
    public int Length => PatientId.Length + SiteId.Length + Bed.Length;

    /// <summary>The patient id as a new string.</summary>
    public string PatientIdString() => Decode(PatientId);

    /// <summary>The site id as a new string.</summary>
    public string SiteIdString() => Decode(SiteId);

    /// <summary>The bed label as a new string.</summary>
    public string BedString() => Decode(Bed);

    /// <summary>
    /// True when the three fields equal <paramref name="cached"/>, laid out as by <see cref="CopyTo"/> with the lengths in
    /// <paramref name="patientLength"/> and <paramref name="siteLength"/>.
    /// </summary>
    public bool Matches(ReadOnlySpan<byte> cached, int patientLength, int siteLength) =>
        cached.Length == Length
        && patientLength == PatientId.Length
        && siteLength == SiteId.Length
        && cached[..patientLength].SequenceEqual(PatientId)
        && cached.Slice(patientLength, siteLength).SequenceEqual(SiteId)
        && cached[(patientLength + siteLength)..].SequenceEqual(Bed);

    /// <summary>Writes patient, site and bed back to back into <paramref name="destination"/> (at least <see cref="Length"/> bytes).</summary>
    public void CopyTo(Span<byte> destination)
    {
        PatientId.CopyTo(destination);
        SiteId.CopyTo(destination[PatientId.Length..]);
        Bed.CopyTo(destination[(PatientId.Length + SiteId.Length)..]);
    }

    /// <summary>True when <paramref name="utf8"/> is valid UTF-8 without control characters (C0, DEL, C1).</summary>
    public static bool IsPrintableUtf8(ReadOnlySpan<byte> utf8)
    {
        if (!System.Text.Unicode.Utf8.IsValid(utf8))
        {
            return false;
        }

        for (var i = 0; i < utf8.Length; i++)
        {
            var b = utf8[i];
            // C0 and DEL are single bytes; C1 (U+0080-U+009F) is 0xC2 followed by 0x80-0x9F in valid UTF-8.
            if (b < 0x20 || b == 0x7F || (b == 0xC2 && i + 1 < utf8.Length && utf8[i + 1] < 0xA0))
            {
                return false;
            }
        }

        return true;
    }

    private static string Decode(ReadOnlySpan<byte> utf8) => utf8.IsEmpty ? "" : Encoding.UTF8.GetString(utf8);
}
