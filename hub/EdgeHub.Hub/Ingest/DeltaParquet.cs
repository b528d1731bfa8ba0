using EdgeHub.Contracts;
using EdgeHub.Parquet;

namespace EdgeHub.Hub.Ingest;

/// <summary>The checks a delta file (<see cref="DeltaFileFormat"/>) must pass before the hub accepts it.</summary>
public static class DeltaParquet
{
    private static readonly string[] CountColumns = ["row_kind", "label"];

    /// <summary>
    /// Opens the file, checks its row-schema metadata and its row count against <paramref name="declaredRows"/>, decodes the
    /// row kind and label columns and returns the number of labelled rows. Returns null and a specific reason when the file
    /// is not acceptable. The column-by-column schema check and the decoding of every page are the dataset store's.
    /// </summary>
    public static long? Inspect(ReadOnlyMemory<byte> file, long declaredRows, out string reason)
    {
        reason = "";
        try
        {
            using var reader = new ParquetReader(file);
            if (reader.Metadata.TryGetValue(DeltaFileFormat.SchemaKey, out var schemaId) && schemaId != DeltaSchema.Id)
            {
                reason = $"file metadata says row schema '{schemaId}', the hub expects '{DeltaSchema.Id}': upgrade the edge agent";
                return null;
            }

            if (reader.RowCount != declaredRows)
            {
                reason = $"the manifest says {declaredRows} rows but the Parquet file holds {reader.RowCount}";
                return null;
            }

            return CountLabelled(reader);
        }
        catch (ParquetFormatException ex)
        {
            reason = $"not a readable Parquet file: {ex.Message}";
            return null;
        }
        catch (Exception ex) when (ex is InvalidDataException or IndexOutOfRangeException or ArgumentException or InvalidOperationException
                                       or OverflowException or EndOfStreamException or NotSupportedException)
        {
            reason = $"not a readable Parquet file: {ex.Message}";
            return null;
        }
    }

    /// <summary>
    /// Rows that carry a label: label rows, or window rows whose label column is set (0 when the file lacks those columns;
    /// the dataset store judges the schema as a whole).
    /// </summary>
    public static long CountLabelled(ParquetReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var kind = reader.Schema.IndexOf("row_kind");
        var label = reader.Schema.IndexOf("label");
        if (kind < 0 || label < 0 || reader.Schema.Fields[kind].Type != ParquetType.String
            || reader.Schema.Fields[label] is not { Type: ParquetType.Int32, Nullable: true })
        {
            return 0;
        }

        long labelled = 0;
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            var batch = reader.ReadRowGroup(g, CountColumns);
            var kinds = batch.String(0);
            var labelValid = batch.Valid(1);
            for (var r = 0; r < batch.RowCount; r++)
            {
                if (labelValid[r] || kinds[r] == DeltaSchema.RowKindLabel)
                {
                    labelled++;
                }
            }
        }

        return labelled;
    }
}
