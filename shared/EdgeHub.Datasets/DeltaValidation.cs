using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using EdgeHub.Parquet;

namespace EdgeHub.Datasets;

/// <summary>Checks a delta before it may be committed and derives its Delta stats JSON.</summary>
internal static class DeltaValidation
{
    /// <summary>Identifiers that become file names and JSON keys: letters, digits, '.', '_' and '-'.</summary>
    public static bool IsSafeId(string? s)
    {
        if (string.IsNullOrEmpty(s) || s.Length > 128 || s[0] == '.') return false;
        foreach (var ch in s)
            if (!(char.IsAsciiLetterOrDigit(ch) || ch is '.' or '_' or '-')) return false;
        return true;
    }

    public static string? CheckManifest(string region, string edgeId, long sequence, int length, DeltaManifest m, DatasetStoreOptions o)
    {
        if (!IsSafeId(edgeId)) return $"edge id '{edgeId}' is invalid: use 1-128 letters, digits, '.', '_' or '-'";
        if (m is null) return "delta manifest missing";
        if (m.Region != region) return $"manifest region '{m.Region}' differs from the delta's region '{region}'";
        if (m.EdgeId != edgeId) return $"manifest edge '{m.EdgeId}' differs from the sending edge '{edgeId}'";
        if (m.Sequence != sequence) return $"manifest sequence {m.Sequence} differs from the delta's sequence {sequence}";
        if (sequence < o.FirstSequence) return $"sequence {sequence} is below the first sequence {o.FirstSequence}";
        if (string.IsNullOrWhiteSpace(m.DeltaId)) return "manifest has no delta id";
        if (length > o.MaxDeltaBytes) return $"delta is {length} bytes, more than the limit {o.MaxDeltaBytes}; send smaller deltas";
        if (length == 0) return "delta is empty (0 bytes)";
        return null;
    }

    /// <summary>Validates checksum, Parquet structure (every page decoded), schema and row count; returns the stats JSON or the reason.</summary>
    public static (string? Stats, string? Problem) CheckContent(ReadOnlyMemory<byte> bytes, DeltaManifest m, ParquetSchema table)
    {
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes.Span));
        if (!string.Equals(sha, m.Sha256?.Trim(), StringComparison.OrdinalIgnoreCase))
            return (null, $"sha256 mismatch: manifest says {m.Sha256}, bytes hash to {sha}; the delta was corrupted in transit, re-send it");
        try
        {
            using var reader = new ParquetReader(bytes);
            var problem = SchemaProblem(reader.Schema, table);
            if (problem is not null) return (null, problem);
            if (reader.RowCount != m.Rows) return (null, $"manifest says {m.Rows} rows, the Parquet file holds {reader.RowCount}");
            for (var g = 0; g < reader.RowGroupCount; g++) reader.ReadRowGroup(g); // decode every page: catches corrupt data
            return (StatsJson(reader), null);
        }
        catch (ParquetFormatException e)
        {
            return (null, "delta is not a valid Parquet file: " + e.Message);
        }
    }

    /// <summary>
    /// A delta may carry the table's columns or an older prefix of them (an edge that has not seen a schema evolution yet);
    /// types must match exactly; a required table column must be present and required in the file.
    /// </summary>
    private static string? SchemaProblem(ParquetSchema file, ParquetSchema table)
    {
        foreach (var f in file.Fields)
        {
            var i = table.IndexOf(f.Name);
            if (i < 0) return $"column '{f.Name}' is not in the region's schema ({table}); update the table schema first";
            var t = table.Fields[i];
            if (t.Type != f.Type) return $"column '{f.Name}' has type {f.Type}, the schema expects {t.Type}";
            if (!t.Nullable && f.Nullable) return $"column '{f.Name}' is nullable in the delta but required in the schema";
        }
        foreach (var t in table.Fields)
            if (!t.Nullable && file.IndexOf(t.Name) < 0) return $"required column '{t.Name}' is missing from the delta";
        return null;
    }

    private static string StatsJson(ParquetReader reader)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteNumber("numRecords", reader.RowCount);
            var mins = new Dictionary<string, object>();
            var maxs = new Dictionary<string, object>();
            var nulls = new Dictionary<string, long>();
            foreach (var f in reader.Schema.Fields)
            {
                object? min = null, max = null;
                long nc = 0;
                var complete = true;
                for (var g = 0; g < reader.RowGroupCount; g++)
                {
                    var s = reader.GetStatistics(g, f.Name);
                    if (s is null) { complete = false; break; }
                    nc += s.NullCount ?? 0;
                    if (s.Min is not null && (min is null || Compare(s.Min, min) < 0)) min = s.Min;
                    if (s.Max is not null && (max is null || Compare(s.Max, max) > 0)) max = s.Max;
                }
                if (!complete) continue;
                nulls[f.Name] = nc;
                if (min is not null && max is not null && Finite(min) && Finite(max) && f.Type != ParquetType.Boolean)
                {
                    mins[f.Name] = min;
                    maxs[f.Name] = max;
                }
            }
            WriteValues(w, "minValues", mins, reader.Schema, floor: true);
            WriteValues(w, "maxValues", maxs, reader.Schema, floor: false);
            w.WriteStartObject("nullCount");
            foreach (var (k, v) in nulls) w.WriteNumber(k, v);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }

    private static bool Finite(object v) => v switch
    {
        float f => float.IsFinite(f),
        double d => double.IsFinite(d),
        _ => true,
    };

    private static int Compare(object a, object b) => a switch
    {
        string s => string.CompareOrdinal(s, (string)b),
        _ => ((IComparable)a).CompareTo(b),
    };

    private static void WriteValues(Utf8JsonWriter w, string name, Dictionary<string, object> values, ParquetSchema schema, bool floor)
    {
        w.WriteStartObject(name);
        foreach (var (k, v) in values)
        {
            switch (v)
            {
                case float f: w.WriteNumber(k, f); break;
                case double d: w.WriteNumber(k, d); break;
                case int i: w.WriteNumber(k, i); break;
                case long l when schema.Fields[schema.GetIndex(k)].Type == ParquetType.TimestampMicros:
                    {
                        // Delta stats hold timestamps at millisecond precision: round min down and max up so skipping stays correct.
                        var ms = floor ? Math.Floor(l / 1000.0) : Math.Ceiling(l / 1000.0);
                        w.WriteString(k, DateTimeOffset.FromUnixTimeMilliseconds((long)ms).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
                        break;
                    }
                case long l: w.WriteNumber(k, l); break;
                case string s: w.WriteString(k, s); break;
            }
        }
        w.WriteEndObject();
    }
}
