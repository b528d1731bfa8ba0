using EdgeHub.Parquet;

namespace EdgeHub.Datasets;

/// <summary>Reads a table's data files into one batch of the table schema, filling columns a file lacks with nulls.</summary>
internal static class DataFileReader
{
    public static ColumnBatch ReadInto(string tablePath, ParquetSchema schema, IReadOnlyList<DeltaFile> files, int totalRows)
    {
        var result = new ColumnBatch(schema, totalRows);
        var offset = 0;
        foreach (var f in files)
        {
            using var reader = ParquetReader.Open(DataPaths.Resolve(tablePath, f.Path));
            var names = new List<string>();
            foreach (var field in schema.Fields)
                if (reader.Schema.IndexOf(field.Name) >= 0) names.Add(field.Name);
            var part = reader.ReadAll(names);
            if (offset + part.RowCount > totalRows)
                throw new DatasetException($"data file {f.Path} holds {part.RowCount} rows, more than its add action's stats say ({f.Rows})");
            for (var c = 0; c < schema.Fields.Count; c++)
            {
                var pc = part.Schema.IndexOf(schema.Fields[c].Name);
                if (pc >= 0) part.CopyTo(pc, 0, result, c, offset, part.RowCount);
                else if (schema.Fields[c].Nullable) result.SetNull(c, offset, part.RowCount);
                else throw new DatasetException($"data file {f.Path} lacks required column '{schema.Fields[c].Name}'");
            }
            offset += part.RowCount;
        }
        result.RowCount = offset;
        return result;
    }
}
