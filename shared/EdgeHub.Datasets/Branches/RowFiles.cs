using System.Globalization;
using System.Text;
using Parquet.Serialization;
using PSchema = Parquet.Schema.ParquetSchema;

namespace EdgeHub.Datasets;

/// <summary>A data file's rows as name → value dictionaries (Parquet.Net's untyped API), with its schema and key/value metadata.</summary>
internal sealed record RowFile(PSchema Schema, IList<Dictionary<string, object?>> Rows, IReadOnlyDictionary<string, string> Metadata);

/// <summary>
/// Reads and rewrites whole data files for diffs, merges and erasure. Files are small (one edge delta each), so row
/// dictionaries are fine here; the ingest hot path never comes through this class.
/// </summary>
internal static class RowFiles
{
    public static RowFile Read(string path)
    {
        try
        {
            using var fs = File.OpenRead(path);
            var result = ParquetSerializer.DeserializeUntypedAsync(fs).GetAwaiter().GetResult();
            var rows = new List<Dictionary<string, object?>>(result.Data.Count);
            foreach (var r in result.Data) rows.Add(new Dictionary<string, object?>(r!, StringComparer.Ordinal));
            return new RowFile(result.Schema, rows, result.CustomMetadata ?? new Dictionary<string, string>());
        }
        catch (Exception e) when (e is not (FileNotFoundException or DirectoryNotFoundException or OutOfMemoryException))
        {
            throw new DatasetException($"data file {path} could not be read ({e.Message}); the table references a damaged file", e);
        }
    }

    /// <summary>The Parquet bytes of <paramref name="rows"/> with <paramref name="like"/>'s schema and metadata.</summary>
    public static byte[] Write(RowFile like, IReadOnlyCollection<Dictionary<string, object?>> rows)
    {
        using var ms = new MemoryStream();
        var untyped = new List<IDictionary<string, object?>>(rows.Count);
        foreach (var r in rows) untyped.Add(r);
        ParquetSerializer.SerializeUntypedAsync(untyped, like.Schema, ms, null, like.Metadata).GetAwaiter().GetResult();
        return ms.ToArray();
    }

    /// <summary>The row's key: the values of <paramref name="keyColumns"/>, joined unambiguously.</summary>
    public static string Key(Dictionary<string, object?> row, IReadOnlyList<string> keyColumns, string file)
    {
        var sb = new StringBuilder();
        foreach (var k in keyColumns)
        {
            if (!row.TryGetValue(k, out var v))
                throw new DatasetException($"data file {file} lacks key column '{k}'; branch diffs key rows by ({string.Join(", ", keyColumns)})");
            if (sb.Length > 0) sb.Append('|');
            sb.Append(Text(v));
        }
        return sb.ToString();
    }

    /// <summary>A value as invariant text (null as "∅"), for keys and comparisons.</summary>
    public static string Text(object? v) => v switch
    {
        null => "∅",
        DateTime d => d.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "∅",
    };

    /// <summary>True when both rows hold equal values in every column either has.</summary>
    public static bool SameValues(Dictionary<string, object?> a, Dictionary<string, object?> b)
    {
        foreach (var (k, v) in a)
            if (!b.TryGetValue(k, out var w) ? v is not null : Text(v) != Text(w)) return false;
        foreach (var (k, w) in b)
            if (!a.ContainsKey(k) && w is not null) return false;
        return true;
    }
}
