using EdgeHub.Contracts;
using EdgeHub.Parquet;

namespace EdgeHub.Bench;

/// <summary>Rows for the Parquet bench: the numeric columns of <see cref="DeltaSchema"/> with plausible feature values.</summary>
internal static class ParquetBenchData
{
    public static ParquetSchema Schema()
    {
        var fields = new List<ParquetField>();
        foreach (var c in DeltaSchema.Columns)
        {
            var type = c.Kind switch
            {
                ColumnKind.Boolean => ParquetType.Boolean,
                ColumnKind.Int32 => ParquetType.Int32,
                ColumnKind.Int64 => ParquetType.Int64,
                ColumnKind.Float => ParquetType.Float,
                ColumnKind.Double => ParquetType.Double,
                ColumnKind.TimestampMicros => ParquetType.TimestampMicros,
                _ => (ParquetType?)null,
            };
            if (type is { } t) fields.Add(new ParquetField(c.Name, t, c.Nullable));
        }
        return new ParquetSchema(fields);
    }

    public static int RawBytesPerRow(ParquetSchema schema)
    {
        var n = 0;
        foreach (var f in schema.Fields)
            n += f.Type is ParquetType.Float or ParquetType.Int32 ? 4 : f.Type == ParquetType.Boolean ? 1 : 8;
        return n;
    }

    public static ColumnBatch Make(ParquetSchema schema, int rows)
    {
        var b = new ColumnBatch(schema, rows) { RowCount = rows };
        var rnd = new Random(20240601);
        for (var c = 0; c < schema.Fields.Count; c++)
        {
            var f = schema.Fields[c];
            switch (f.Type)
            {
                case ParquetType.Float:
                    {
                        var span = b.Float(c);
                        var center = 1 + c * 3.7f;
                        for (var r = 0; r < rows; r++) span[r] = MathF.Round(center + (float)(rnd.NextDouble() - 0.5) * center * 0.4f, 2);
                        break;
                    }
                case ParquetType.Int32:
                    {
                        var span = b.Int32(c);
                        for (var r = 0; r < rows; r++) span[r] = rnd.Next(6);
                        break;
                    }
                case ParquetType.Int64 or ParquetType.TimestampMicros:
                    {
                        var span = b.Int64(c);
                        for (var r = 0; r < rows; r++) span[r] = 1_760_000_000_000_000L + r * 1_000L + rnd.Next(1000);
                        break;
                    }
                case ParquetType.Double:
                    {
                        var span = b.Double(c);
                        for (var r = 0; r < rows; r++) span[r] = rnd.NextDouble();
                        break;
                    }
                case ParquetType.Boolean:
                    {
                        var span = b.Boolean(c);
                        for (var r = 0; r < rows; r++) span[r] = rnd.Next(2) == 0;
                        break;
                    }
            }
            if (f.Nullable) b.Valid(c).Fill(true);
        }
        return b;
    }

    /// <summary>Shifts timestamps so successive passes hold distinct rows.</summary>
    public static void Advance(ColumnBatch batch, int pass)
    {
        if (pass == 0) return;
        for (var c = 0; c < batch.Schema.Fields.Count; c++)
        {
            if (batch.Schema.Fields[c].Type != ParquetType.TimestampMicros) continue;
            var span = batch.Int64(c);
            var shift = (long)batch.Capacity * 1_000L;
            for (var r = 0; r < span.Length; r++) span[r] += shift;
        }
    }
}
