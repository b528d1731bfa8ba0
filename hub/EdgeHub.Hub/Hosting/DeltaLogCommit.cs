using System.Globalization;
using System.Text.Json;
using EdgeHub.Hub.Catalog;

namespace EdgeHub.Hub.Hosting;

/// <summary>
/// Reads one commit of a regional Delta table straight from <c>_delta_log/{version:D20}.json</c> (Delta PROTOCOL.md "Delta
/// Log Entries": newline-delimited actions), for the targeted catalog repairs the ingest path needs; the dataset store's
/// lineage sits in <c>commitInfo.edgehub</c>. Full scans go through <c>DeltaTable.History()</c> instead.
/// </summary>
internal static class DeltaLogCommit
{
    /// <summary>The commit as a catalog record, or null when the file is missing or is not an edge delta commit.</summary>
    public static DatasetVersionRecord? TryRead(string tablePath, string region, long version, string hubNode)
    {
        var file = Path.Combine(tablePath, "_delta_log", version.ToString("D20", CultureInfo.InvariantCulture) + ".json");
        if (!File.Exists(file))
        {
            return null;
        }

        long timestamp = 0, size = 0;
        string? deltaId = null, edgeId = null, sha = null;
        long sequence = 0, rows = 0;
        foreach (var line in File.ReadLines(file))
        {
            if (line.Length == 0)
            {
                continue;
            }

            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (root.TryGetProperty("commitInfo", out var info))
            {
                if (info.TryGetProperty("timestamp", out var ts) && ts.ValueKind == JsonValueKind.Number)
                {
                    timestamp = ts.GetInt64();
                }

                if (info.TryGetProperty("edgehub", out var l))
                {
                    deltaId = l.GetProperty("deltaId").GetString();
                    edgeId = l.GetProperty("edgeId").GetString();
                    sequence = l.GetProperty("sequence").GetInt64();
                    rows = l.GetProperty("rows").GetInt64();
                    sha = l.GetProperty("sha256").GetString();
                }
            }
            else if (root.TryGetProperty("add", out var add) && add.TryGetProperty("size", out var s) && s.ValueKind == JsonValueKind.Number)
            {
                size += s.GetInt64();
            }
        }

        return edgeId is null || deltaId is null
            ? null
            : new DatasetVersionRecord(region, version, DateTimeOffset.FromUnixTimeMilliseconds(timestamp), edgeId, deltaId, sequence, rows,
                -1, size, sha ?? "", hubNode);
    }
}
