using System.Text.Json;

namespace EdgeHub.Datasets.Log;

/// <summary>An <c>add</c> action (Delta PROTOCOL.md "Add File and Remove File"); <see cref="Rows"/> comes from its stats.</summary>
internal sealed record AddAction(string Path, long Size, long ModificationTime, string? Stats, long Rows);

/// <summary>A <c>txn</c> action: the application's (edge's) latest committed version (sequence).</summary>
internal sealed record TxnAction(string AppId, long Version, long? LastUpdated);

/// <summary>Our lineage, carried inside <c>commitInfo</c> under "edgehub".</summary>
internal sealed record Lineage(string DeltaId, string EdgeId, long Sequence, long Rows, string Sha256);

/// <summary>The actions of one commit file, parsed.</summary>
internal sealed class CommitActions
{
    public long Timestamp;
    public string Operation = "WRITE";
    public int? MinReader;
    public int? MinWriter;
    public string? MetaDataId;
    public string? SchemaString;
    public long? CreatedTime;
    public List<AddAction> Adds = [];
    public List<(string Path, long Deletion)> Removes = [];
    public List<TxnAction> Txns = [];
    public Lineage? Lineage;
    /// <summary>Raw JSON object of a branch, merge or erasure commit, kept under commitInfo "edgehubOp".</summary>
    public string? Annotation;

    /// <summary>Serialises as newline-delimited JSON, commitInfo first (as Spark writes it).</summary>
    public byte[] ToJsonLines()
    {
        using var ms = new MemoryStream();
        void Line(Action<Utf8JsonWriter> body)
        {
            using (var w = new Utf8JsonWriter(ms))
            {
                w.WriteStartObject();
                body(w);
                w.WriteEndObject();
            }
            ms.WriteByte((byte)'\n');
        }
        Line(w =>
        {
            w.WriteStartObject("commitInfo");
            w.WriteNumber("timestamp", Timestamp);
            w.WriteString("operation", Operation);
            w.WriteStartObject("operationParameters");
            w.WriteString("mode", "Append");
            w.WriteEndObject();
            w.WriteBoolean("isBlindAppend", Adds.Count > 0 && Removes.Count == 0 && SchemaString is null);
            w.WriteString("engineInfo", "EdgeHub.Datasets/1.0");
            if (Lineage is { } l)
            {
                w.WriteStartObject("edgehub");
                w.WriteString("deltaId", l.DeltaId);
                w.WriteString("edgeId", l.EdgeId);
                w.WriteNumber("sequence", l.Sequence);
                w.WriteNumber("rows", l.Rows);
                w.WriteString("sha256", l.Sha256);
                w.WriteEndObject();
            }
            if (Annotation is not null)
            {
                w.WritePropertyName("edgehubOp");
                w.WriteRawValue(Annotation);
            }
            w.WriteEndObject();
        });
        if (MinReader is { } mr)
            Line(w =>
            {
                w.WriteStartObject("protocol");
                w.WriteNumber("minReaderVersion", mr);
                w.WriteNumber("minWriterVersion", MinWriter ?? 2);
                w.WriteEndObject();
            });
        if (SchemaString is not null)
            Line(w =>
            {
                w.WriteStartObject("metaData");
                w.WriteString("id", MetaDataId);
                w.WriteStartObject("format");
                w.WriteString("provider", "parquet");
                w.WriteStartObject("options");
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteString("schemaString", SchemaString);
                w.WriteStartArray("partitionColumns");
                w.WriteEndArray();
                w.WriteStartObject("configuration");
                w.WriteEndObject();
                w.WriteNumber("createdTime", CreatedTime ?? Timestamp);
                w.WriteEndObject();
            });
        foreach (var t in Txns)
            Line(w =>
            {
                w.WriteStartObject("txn");
                w.WriteString("appId", t.AppId);
                w.WriteNumber("version", t.Version);
                w.WriteNumber("lastUpdated", t.LastUpdated ?? Timestamp);
                w.WriteEndObject();
            });
        foreach (var a in Adds)
            Line(w =>
            {
                w.WriteStartObject("add");
                w.WriteString("path", a.Path);
                w.WriteStartObject("partitionValues");
                w.WriteEndObject();
                w.WriteNumber("size", a.Size);
                w.WriteNumber("modificationTime", a.ModificationTime);
                w.WriteBoolean("dataChange", true);
                if (a.Stats is not null) w.WriteString("stats", a.Stats);
                w.WriteEndObject();
            });
        foreach (var (path, deletion) in Removes)
            Line(w =>
            {
                w.WriteStartObject("remove");
                w.WriteString("path", path);
                w.WriteNumber("deletionTimestamp", deletion);
                w.WriteBoolean("dataChange", true);
                w.WriteEndObject();
            });
        return ms.ToArray();
    }

    /// <summary>Parses a commit file; unknown actions are ignored (readers must tolerate them).</summary>
    public static CommitActions Parse(ReadOnlySpan<byte> content, string file)
    {
        var c = new CommitActions();
        var text = System.Text.Encoding.UTF8.GetString(content);
        var lineNo = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNo++;
            var line = raw.Trim();
            if (line.Length == 0) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                foreach (var p in doc.RootElement.EnumerateObject()) ParseAction(c, p);
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
            {
                throw new DatasetException($"{file} line {lineNo} is not a valid Delta action ({e.Message}); the log is corrupt", e);
            }
        }
        return c;
    }

    private static void ParseAction(CommitActions c, JsonProperty p)
    {
        var v = p.Value;
        switch (p.Name)
        {
            case "commitInfo":
                if (v.TryGetProperty("timestamp", out var ts)) c.Timestamp = ts.GetInt64();
                if (v.TryGetProperty("operation", out var op)) c.Operation = op.GetString() ?? "WRITE";
                if (v.TryGetProperty("edgehub", out var l))
                    c.Lineage = new Lineage(l.GetProperty("deltaId").GetString()!, l.GetProperty("edgeId").GetString()!,
                        l.GetProperty("sequence").GetInt64(), l.GetProperty("rows").GetInt64(), l.GetProperty("sha256").GetString()!);
                if (v.TryGetProperty("edgehubOp", out var an)) c.Annotation = an.GetRawText();
                break;
            case "protocol":
                c.MinReader = v.GetProperty("minReaderVersion").GetInt32();
                c.MinWriter = v.GetProperty("minWriterVersion").GetInt32();
                break;
            case "metaData":
                c.MetaDataId = v.GetProperty("id").GetString();
                c.SchemaString = v.GetProperty("schemaString").GetString();
                if (v.TryGetProperty("createdTime", out var ct) && ct.ValueKind == JsonValueKind.Number) c.CreatedTime = ct.GetInt64();
                break;
            case "txn":
                c.Txns.Add(new TxnAction(v.GetProperty("appId").GetString()!, v.GetProperty("version").GetInt64(),
                    v.TryGetProperty("lastUpdated", out var lu) && lu.ValueKind == JsonValueKind.Number ? lu.GetInt64() : null));
                break;
            case "add":
                {
                    var stats = v.TryGetProperty("stats", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
                    c.Adds.Add(new AddAction(Uri.UnescapeDataString(v.GetProperty("path").GetString()!), v.GetProperty("size").GetInt64(),
                        v.GetProperty("modificationTime").GetInt64(), stats, RowsOf(stats)));
                    break;
                }
            case "remove":
                c.Removes.Add((Uri.UnescapeDataString(v.GetProperty("path").GetString()!),
                    v.TryGetProperty("deletionTimestamp", out var dt) && dt.ValueKind == JsonValueKind.Number ? dt.GetInt64() : 0));
                break;
        }
    }

    internal static long RowsOf(string? stats)
    {
        if (stats is null) return -1;
        using var doc = JsonDocument.Parse(stats);
        return doc.RootElement.TryGetProperty("numRecords", out var n) ? n.GetInt64() : -1;
    }
}
