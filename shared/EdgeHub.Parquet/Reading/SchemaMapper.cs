using EdgeHub.Parquet.Format;

namespace EdgeHub.Parquet.Reading;

/// <summary>How one readable leaf column is stored in the file and how it maps to a <see cref="ParquetField"/>.</summary>
/// <param name="Field">Name (dotted path for leaves inside groups), type and nullability.</param>
/// <param name="Physical">Physical type in the file.</param>
/// <param name="TimestampUnit">Unit of a TIMESTAMP column, else None.</param>
/// <param name="ChunkIndex">Position of the leaf among all leaves (the column chunk index in each row group).</param>
/// <param name="MaxDefinitionLevel">Number of OPTIONAL nodes on the path (0 = required all the way).</param>
internal sealed record ColumnDescriptor(ParquetField Field, PhysicalType Physical, TimeUnit TimestampUnit, int ChunkIndex, int MaxDefinitionLevel);

/// <summary>
/// Maps the footer's schema tree to readable leaf columns. Flat files map one to one. Leaves inside (optional or required)
/// groups are named by their dotted path ("add.path"); their value is present when the definition level reaches the
/// maximum, so a null group reads as null leaves. Leaves under REPEATED nodes (lists, maps) are counted but not exposed.
/// </summary>
internal static class SchemaMapper
{
    private const int MaxDepth = 16;

    public static (ColumnDescriptor[] Readable, int LeafCount) Map(List<SchemaElement> elements)
    {
        if (elements.Count == 0) throw new ParquetFormatException("the footer has an empty schema");
        var result = new List<ColumnDescriptor>();
        var pos = 1;
        var leaves = 0;
        var root = elements[0];
        if (root.NumChildren < 0 || root.NumChildren > elements.Count - 1)
            throw new ParquetFormatException($"schema root declares {root.NumChildren} children but {elements.Count - 1} elements follow");
        for (var c = 0; c < root.NumChildren; c++) Walk(elements, ref pos, "", 0, false, 1, result, ref leaves);
        if (pos != elements.Count)
            throw new ParquetFormatException($"schema tree covers {pos} of {elements.Count} elements; the footer schema is inconsistent");
        return (result.ToArray(), leaves);
    }

    private static void Walk(List<SchemaElement> elements, ref int pos, string prefix, int def, bool repeated, int depth,
        List<ColumnDescriptor> result, ref int leaves)
    {
        if (pos >= elements.Count) throw new ParquetFormatException("schema tree declares more children than elements exist");
        if (depth > MaxDepth) throw new ParquetFormatException($"schema nested deeper than {MaxDepth} levels");
        var e = elements[pos++];
        var name = prefix.Length == 0 ? e.Name : prefix + "." + e.Name;
        var rep = e.Repetition ?? Repetition.Optional;
        if (rep != Repetition.Required) def++;
        repeated |= rep == Repetition.Repeated;
        if (e.NumChildren > 0 || e.Type is null)
        {
            if (e.NumChildren <= 0 || e.NumChildren > elements.Count - pos)
                throw new ParquetFormatException($"group '{name}' declares {e.NumChildren} children");
            for (var c = 0; c < e.NumChildren; c++) Walk(elements, ref pos, name, def, repeated, depth + 1, result, ref leaves);
            return;
        }
        var chunk = leaves++;
        if (repeated) return;
        var physical = e.Type.Value;
        var unit = e.TimestampUnit;
        if (unit == TimeUnit.None && e.ConvertedType == ConvertedType.TimestampMicros) unit = TimeUnit.Micros;
        if (unit == TimeUnit.None && e.ConvertedType == ConvertedType.TimestampMillis) unit = TimeUnit.Millis;
        var type = physical switch
        {
            PhysicalType.Boolean => ParquetType.Boolean,
            PhysicalType.Int32 => ParquetType.Int32,
            PhysicalType.Int64 when unit != TimeUnit.None => ParquetType.TimestampMicros,
            PhysicalType.Int64 => ParquetType.Int64,
            PhysicalType.Float => ParquetType.Float,
            PhysicalType.Double => ParquetType.Double,
            PhysicalType.ByteArray => ParquetType.String,
            _ => throw new ParquetFormatException($"column '{name}' has physical type {physical}, which is not supported (BOOLEAN, INT32, INT64, FLOAT, DOUBLE, BYTE_ARRAY are)"),
        };
        result.Add(new ColumnDescriptor(new ParquetField(name, type, def > 0), physical, unit, chunk, def));
    }
}
