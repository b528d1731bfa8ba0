using System.Globalization;
using EdgeHub.Parquet;

namespace EdgeHub.Contracts;

/// <summary>Who wrote a delta file: stored in its Parquet footer so a file explains itself without its manifest.</summary>
public sealed record DeltaFileIdentity(string EdgeId, string DeltaId, long Sequence);

/// <summary>
/// The Parquet form of <see cref="DeltaSchema"/>: the one place that maps delta columns onto Parquet types and names the footer
/// metadata, so every writer of deltas (edges, the demo's seed, tests, benches) and the hub's reader agree by construction.
/// </summary>
public static class DeltaFileFormat
{
    /// <summary>Footer metadata key naming the row schema (<see cref="DeltaSchema.Id"/>).</summary>
    public const string SchemaKey = "edgehub.schema";

    /// <summary>Footer metadata key naming the feature schema (<see cref="FeatureSchema.Id"/>).</summary>
    public const string FeatureSchemaKey = "edgehub.feature_schema";

    /// <summary>Footer metadata key of the writing edge's id.</summary>
    public const string EdgeIdKey = "edgehub.edge_id";

    /// <summary>Footer metadata key of the delta id.</summary>
    public const string DeltaIdKey = "edgehub.delta_id";

    /// <summary>Footer metadata key of the edge's delta sequence number.</summary>
    public const string SequenceKey = "edgehub.sequence";

    /// <summary>The delta (and regional table) Parquet schema, column for column <see cref="DeltaSchema.Columns"/>.</summary>
    public static ParquetSchema Schema { get; } = BuildSchema();

    /// <summary>Maps a contract column kind to its Parquet type.</summary>
    public static ParquetType TypeOf(ColumnKind kind) => kind switch
    {
        ColumnKind.Boolean => ParquetType.Boolean,
        ColumnKind.Int32 => ParquetType.Int32,
        ColumnKind.Int64 => ParquetType.Int64,
        ColumnKind.Float => ParquetType.Float,
        ColumnKind.Double => ParquetType.Double,
        ColumnKind.String => ParquetType.String,
        ColumnKind.TimestampMicros => ParquetType.TimestampMicros,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown delta column kind"),
    };

    /// <summary>Writes <paramref name="batch"/> (in <see cref="Schema"/>) as one delta file with the schema ids and, when given, the writer's identity in its footer.</summary>
    public static byte[] Write(ColumnBatch batch, ParquetCompression compression, DeltaFileIdentity? identity = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var options = new ParquetWriterOptions { Compression = compression };
        options.Metadata[SchemaKey] = DeltaSchema.Id;
        options.Metadata[FeatureSchemaKey] = FeatureSchema.Id;
        if (identity is not null)
        {
            options.Metadata[EdgeIdKey] = identity.EdgeId;
            options.Metadata[DeltaIdKey] = identity.DeltaId;
            options.Metadata[SequenceKey] = identity.Sequence.ToString(CultureInfo.InvariantCulture);
        }

        using var stream = new MemoryStream();
        using (var writer = new ParquetWriter(stream, Schema, options))
        {
            writer.Write(batch);
        }

        return stream.ToArray();
    }

    private static ParquetSchema BuildSchema()
    {
        var fields = new ParquetField[DeltaSchema.Columns.Count];
        for (var i = 0; i < fields.Length; i++)
        {
            var c = DeltaSchema.Columns[i];
            fields[i] = new ParquetField(c.Name, TypeOf(c.Kind), c.Nullable);
        }

        return new ParquetSchema(fields);
    }
}
