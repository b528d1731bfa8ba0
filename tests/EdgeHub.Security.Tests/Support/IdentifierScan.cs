using System.Text;
using EdgeHub.Parquet;

namespace EdgeHub.Security.Tests.Support;

/// <summary>
/// Looks for raw identifiers in Parquet files: every string column read with EdgeHub.Parquet, the key/value metadata, and
/// the raw bytes (footer, statistics and uncompressed pages carry strings in clear).
/// </summary>
public sealed class IdentifierScan(IReadOnlyList<string> forbidden)
{
    private readonly List<string> _findings = [];

    /// <summary>What was found, one line each.</summary>
    public IReadOnlyList<string> Findings => _findings;

    /// <summary>String values read (a scan that read nothing proves nothing).</summary>
    public long StringsRead { get; private set; }

    /// <summary>Files scanned.</summary>
    public int Files { get; private set; }

    /// <summary>Scans one Parquet file named <paramref name="name"/> in the findings.</summary>
    public void ScanParquet(string name, byte[] bytes)
    {
        Files++;
        using var reader = new ParquetReader(bytes);
        var batch = reader.ReadAll();
        for (var c = 0; c < batch.Schema.Fields.Count; c++)
        {
            if (batch.Schema.Fields[c].Type != ParquetType.String)
            {
                continue;
            }

            var column = batch.String(c);
            for (var r = 0; r < batch.RowCount; r++)
            {
                StringsRead++;
                if (column[r] is { } value && Hit(value) is { } hit)
                {
                    _findings.Add($"{name}: column {batch.Schema.Fields[c].Name} row {r} = '{value}' holds '{hit}'");
                }
            }
        }

        foreach (var (key, value) in reader.Metadata)
        {
            if (Hit(key + "=" + value) is { } hit)
            {
                _findings.Add($"{name}: key/value metadata '{key}' holds '{hit}'");
            }
        }

        ScanRaw(name, bytes);
    }

    /// <summary>Scans every *.parquet below <paramref name="root"/>, and the raw bytes of its *.json (Delta logs).</summary>
    public void ScanTree(string root)
    {
        foreach (var file in Directory.EnumerateFiles(root, "*.parquet", SearchOption.AllDirectories))
        {
            ScanParquet(Path.GetRelativePath(root, file), File.ReadAllBytes(file));
        }

        foreach (var log in Directory.EnumerateFiles(root, "*.json", SearchOption.AllDirectories))
        {
            ScanRaw(Path.GetRelativePath(root, log), File.ReadAllBytes(log));
        }
    }

    /// <summary>Occurrences of any identifier in the raw bytes (case-insensitive on ASCII).</summary>
    public void ScanRaw(string name, byte[] bytes)
    {
        var text = Encoding.Latin1.GetString(bytes);
        foreach (var id in forbidden)
        {
            var at = text.IndexOf(id, StringComparison.OrdinalIgnoreCase);
            if (at >= 0)
            {
                _findings.Add($"{name}: raw bytes hold '{id}' at offset {at}");
            }
        }
    }

    private string? Hit(string value)
    {
        foreach (var id in forbidden)
        {
            if (value.Contains(id, StringComparison.OrdinalIgnoreCase))
            {
                return id;
            }
        }

        return null;
    }
}
