using System.Text.Json;
using EdgeHub.Parquet;

namespace EdgeHub.Datasets.Log;

/// <summary>ParquetSchema ↔ Spark StructType JSON (Delta PROTOCOL.md "Schema Serialization Format").</summary>
internal static class SparkSchema
{
    public static string ToJson(ParquetSchema schema)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteString("type", "struct");
            w.WriteStartArray("fields");
            foreach (var f in schema.Fields)
            {
                w.WriteStartObject();
                w.WriteString("name", f.Name);
                w.WriteString("type", TypeName(f.Type));
                w.WriteBoolean("nullable", f.Nullable);
                w.WriteStartObject("metadata");
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }

    public static string TypeName(ParquetType t) => t switch
    {
        ParquetType.Boolean => "boolean",
        ParquetType.Int32 => "integer",
        ParquetType.Int64 => "long",
        ParquetType.Float => "float",
        ParquetType.Double => "double",
        ParquetType.String => "string",
        _ => "timestamp",
    };

    public static ParquetSchema FromJson(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var fields = new List<ParquetField>();
        foreach (var f in doc.RootElement.GetProperty("fields").EnumerateArray())
        {
            var name = f.GetProperty("name").GetString()!;
            var typeEl = f.GetProperty("type");
            if (typeEl.ValueKind != JsonValueKind.String) throw new DatasetException($"column '{name}' has a nested type; only flat tables are supported");
            var type = typeEl.GetString() switch
            {
                "boolean" => ParquetType.Boolean,
                "integer" => ParquetType.Int32,
                "long" => ParquetType.Int64,
                "float" => ParquetType.Float,
                "double" => ParquetType.Double,
                "string" => ParquetType.String,
                "timestamp" => ParquetType.TimestampMicros,
                var other => throw new DatasetException($"column '{name}' has type '{other}', which this store does not support"),
            };
            fields.Add(new ParquetField(name, type, f.GetProperty("nullable").GetBoolean()));
        }
        return new ParquetSchema(fields);
    }

    /// <summary>
    /// Schema evolution rule: the new schema keeps every existing column unchanged and in place and may only append nullable
    /// columns. Returns null when allowed, else the reason.
    /// </summary>
    public static string? EvolutionProblem(ParquetSchema current, ParquetSchema next)
    {
        for (var i = 0; i < current.Fields.Count; i++)
        {
            var old = current.Fields[i];
            var j = next.IndexOf(old.Name);
            if (j < 0) return $"column '{old.Name}' would be dropped; columns can only be added";
            var now = next.Fields[j];
            if (now.Type != old.Type) return $"column '{old.Name}' would change type from {old.Type} to {now.Type}; types cannot change";
            if (now.Nullable != old.Nullable) return $"column '{old.Name}' would change nullability; it cannot change";
            if (j != i) return $"column '{old.Name}' would move from position {i} to {j}; new columns can only be appended";
        }
        for (var i = current.Fields.Count; i < next.Fields.Count; i++)
            if (!next.Fields[i].Nullable) return $"new column '{next.Fields[i].Name}' must be nullable (existing rows have no value for it)";
        return null;
    }
}
