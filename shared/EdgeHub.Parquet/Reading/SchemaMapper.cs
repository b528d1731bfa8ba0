using EdgeHub.Parquet.Format;

namespace EdgeHub.Parquet.Reading;

/// <summary>How one leaf column is stored in the file and how it maps to a <see cref="ParquetField"/>.</summary>
internal sealed record ColumnDescriptor(ParquetField Field, PhysicalType Physical, TimeUnit TimestampUnit);

/// <summary>Maps the footer's schema (a root with flat primitive children) to a <see cref="ParquetSchema"/>.</summary>
internal static class SchemaMapper
{
    public static ColumnDescriptor[] Map(List<SchemaElement> elements)
    {
        if (elements.Count == 0) throw new ParquetFormatException("the footer has an empty schema");
        var root = elements[0];
        if (root.NumChildren != elements.Count - 1)
        {
            for (var i = 1; i < elements.Count; i++)
                if (elements[i].NumChildren > 0)
                    throw new ParquetFormatException($"column '{elements[i].Name}' is a nested group; only flat schemas are supported");
            throw new ParquetFormatException($"schema root declares {root.NumChildren} children but {elements.Count - 1} elements follow");
        }
        var result = new ColumnDescriptor[elements.Count - 1];
        for (var i = 1; i < elements.Count; i++)
        {
            var e = elements[i];
            if (e.NumChildren > 0 || e.Type is null)
                throw new ParquetFormatException($"column '{e.Name}' is a nested group; only flat schemas are supported");
            if (e.Repetition == Repetition.Repeated)
                throw new ParquetFormatException($"column '{e.Name}' is REPEATED; only flat schemas (REQUIRED/OPTIONAL) are supported");
            var nullable = e.Repetition != Repetition.Required;
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
                _ => throw new ParquetFormatException($"column '{e.Name}' has physical type {physical}, which is not supported (BOOLEAN, INT32, INT64, FLOAT, DOUBLE, BYTE_ARRAY are)"),
            };
            result[i - 1] = new ColumnDescriptor(new ParquetField(e.Name, type, nullable), physical, unit);
        }
        return result;
    }
}
