using EdgeHub.Contracts;
using EdgeHub.Parquet;

namespace EdgeHub.Learning.Data;

/// <summary>Column indices of the <see cref="DeltaSchema"/> columns training needs, resolved by name in a batch's schema.</summary>
internal sealed record DeltaColumns(int RowKind, int WindowId, int Patient, int[] Features, int Label, int LabelledAt)
{
    public static DeltaColumns Resolve(ParquetSchema schema)
    {
        var features = new int[FeatureSchema.Count];
        for (var f = 0; f < features.Length; f++)
        {
            features[f] = Require(schema, FeatureSchema.Features[f].Name, ParquetType.Float);
        }

        return new DeltaColumns(
            Require(schema, "row_kind", ParquetType.String),
            Require(schema, "window_id", ParquetType.String),
            Require(schema, "patient_pseudonym", ParquetType.String),
            features,
            Require(schema, "label", ParquetType.Int32, nullable: true),
            Require(schema, "labelled_at", ParquetType.TimestampMicros, nullable: true));
    }

    private static int Require(ParquetSchema schema, string name, ParquetType type, bool? nullable = null)
    {
        var i = schema.IndexOf(name);
        if (i < 0)
        {
            throw new ArgumentException($"dataset rows lack column '{name}' ({DeltaSchema.Id}); read the table with all delta columns");
        }

        var field = schema.Fields[i];
        if (field.Type != type)
        {
            throw new ArgumentException($"column '{name}' has type {field.Type}; {DeltaSchema.Id} expects {type}");
        }

        if (nullable is { } n && field.Nullable != n)
        {
            throw new ArgumentException($"column '{name}' must be {(n ? "optional" : "required")} in {DeltaSchema.Id}");
        }

        return i;
    }
}
