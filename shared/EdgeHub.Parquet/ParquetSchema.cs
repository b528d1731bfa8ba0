namespace EdgeHub.Parquet;

/// <summary>The value types a flat EdgeHub Parquet column can hold.</summary>
public enum ParquetType
{
    /// <summary>BOOLEAN, bit-packed.</summary>
    Boolean,
    /// <summary>INT32.</summary>
    Int32,
    /// <summary>INT64.</summary>
    Int64,
    /// <summary>FLOAT (IEEE 754 single).</summary>
    Float,
    /// <summary>DOUBLE (IEEE 754 double).</summary>
    Double,
    /// <summary>BYTE_ARRAY with the STRING logical type (UTF-8).</summary>
    String,
    /// <summary>INT64 with logical type TIMESTAMP(isAdjustedToUTC=true, unit=MICROS): microseconds since the Unix epoch, UTC.</summary>
    TimestampMicros,
}

/// <summary>One column of a flat schema.</summary>
/// <param name="Name">Column name (unique within the schema).</param>
/// <param name="Type">Value type.</param>
/// <param name="Nullable">True for an OPTIONAL column (values may be null), false for REQUIRED.</param>
public sealed record ParquetField(string Name, ParquetType Type, bool Nullable = false);

/// <summary>A flat Parquet schema: an ordered list of uniquely named primitive columns.</summary>
public sealed class ParquetSchema
{
    private readonly Dictionary<string, int> _index;

    /// <summary>Creates a schema; names must be non-empty and unique.</summary>
    public ParquetSchema(IReadOnlyList<ParquetField> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        if (fields.Count == 0) throw new ArgumentException("a Parquet schema needs at least one column", nameof(fields));
        _index = new Dictionary<string, int>(fields.Count, StringComparer.Ordinal);
        var copy = new ParquetField[fields.Count];
        for (var i = 0; i < fields.Count; i++)
        {
            var f = fields[i] ?? throw new ArgumentException($"column {i} is null", nameof(fields));
            if (string.IsNullOrEmpty(f.Name)) throw new ArgumentException($"column {i} has an empty name", nameof(fields));
            if (!Enum.IsDefined(f.Type)) throw new ArgumentException($"column '{f.Name}' has unknown type {(int)f.Type}", nameof(fields));
            if (!_index.TryAdd(f.Name, i)) throw new ArgumentException($"column name '{f.Name}' appears twice", nameof(fields));
            copy[i] = f;
        }
        Fields = copy;
    }

    /// <summary>The columns, in file order.</summary>
    public IReadOnlyList<ParquetField> Fields { get; }

    /// <summary>Index of the named column, or -1.</summary>
    public int IndexOf(string name) => _index.TryGetValue(name, out var i) ? i : -1;

    /// <summary>Index of the named column; throws <see cref="ArgumentException"/> naming the known columns when absent.</summary>
    public int GetIndex(string name) =>
        _index.TryGetValue(name, out var i) ? i
        : throw new ArgumentException($"no column '{name}' in schema ({string.Join(", ", Names())})", nameof(name));

    /// <summary>A schema made of the named columns, in the order given.</summary>
    public ParquetSchema Project(IReadOnlyList<string> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        var fields = new ParquetField[columns.Count];
        for (var i = 0; i < columns.Count; i++) fields[i] = Fields[GetIndex(columns[i])];
        return new ParquetSchema(fields);
    }

    /// <summary>True when both schemas have the same columns (name, type, nullability) in the same order.</summary>
    public bool SameAs(ParquetSchema other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Fields.Count != Fields.Count) return false;
        for (var i = 0; i < Fields.Count; i++)
            if (Fields[i] != other.Fields[i]) return false;
        return true;
    }

    private IEnumerable<string> Names()
    {
        foreach (var f in Fields) yield return f.Name;
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var parts = new string[Fields.Count];
        for (var i = 0; i < parts.Length; i++)
            parts[i] = $"{Fields[i].Name}:{Fields[i].Type}{(Fields[i].Nullable ? "?" : "")}";
        return string.Join(", ", parts);
    }
}
