using System.Globalization;
using EdgeHub.Contracts;
using EdgeHub.Datasets;

namespace EdgeHub.Hub.Ingest;

/// <summary>
/// One delta as it arrived, before validation: the region and edge from the topic or URL, the manifest fields from MQTT
/// user properties or HTTP headers (<see cref="DeltaProperties"/>), and the Parquet bytes.
/// </summary>
public readonly record struct DeltaSubmission(
    string Transport,
    string Region,
    string EdgeId,
    string? DeltaId,
    string? Sequence,
    string? Rows,
    string? Sha256,
    string? SchemaId,
    ReadOnlyMemory<byte> Payload)
{
    /// <summary>Largest delta id accepted.</summary>
    public const int MaxDeltaIdLength = 128;

    /// <summary>Builds the manifest; false with a reason that tells the edge what to fix.</summary>
    public bool TryGetManifest(out DeltaManifest manifest, out string reason)
    {
        manifest = null!;
        if (!Ids.IsValid(Region))
        {
            reason = $"region '{Region}' is not a valid id";
            return false;
        }

        if (!Ids.IsValid(EdgeId))
        {
            reason = $"edge id '{EdgeId}' is not a valid id";
            return false;
        }

        if (string.IsNullOrEmpty(DeltaId) || DeltaId.Length > MaxDeltaIdLength)
        {
            reason = $"property '{DeltaProperties.DeltaId}' is missing or longer than {MaxDeltaIdLength} characters";
            return false;
        }

        if (!long.TryParse(Sequence, NumberStyles.None, CultureInfo.InvariantCulture, out var sequence) || sequence < 1)
        {
            reason = $"property '{DeltaProperties.Sequence}' is '{Sequence}': give the edge's sequence number as a positive integer";
            return false;
        }

        if (!long.TryParse(Rows, NumberStyles.None, CultureInfo.InvariantCulture, out var rows) || rows < 0)
        {
            reason = $"property '{DeltaProperties.Rows}' is '{Rows}': give the delta's row count as a non-negative integer";
            return false;
        }

        if (Sha256 is not { Length: 64 } || !IsLowerHex(Sha256))
        {
            reason = $"property '{DeltaProperties.Sha256}' must be the lower-case hex SHA-256 of the payload (64 characters)";
            return false;
        }

        if (SchemaId is not null && SchemaId != DeltaSchema.Id)
        {
            reason = $"property '{DeltaProperties.SchemaId}' is '{SchemaId}', the hub expects '{DeltaSchema.Id}': upgrade the edge agent";
            return false;
        }

        manifest = new DeltaManifest(DeltaId, Region, EdgeId, sequence, rows, Sha256);
        reason = "";
        return true;
    }

    private static bool IsLowerHex(string s)
    {
        foreach (var c in s)
        {
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
