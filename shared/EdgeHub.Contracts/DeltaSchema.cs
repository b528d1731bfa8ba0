namespace EdgeHub.Contracts;

/// <summary>Column value kinds of a delta row (mapped 1:1 onto Parquet physical/logical types by EdgeHub.Parquet users).</summary>
public enum ColumnKind
{
    Boolean,
    Int32,
    Int64,
    Float,
    Double,
    String,
    TimestampMicros,
}

/// <summary>One column of the delta / regional dataset table.</summary>
public sealed record DeltaColumn(string Name, ColumnKind Kind, bool Nullable);

/// <summary>
/// Rows that edges send and the hub's regional tables hold. Two kinds of rows share one table:
/// a "window" row (features + the prediction the edge made) and a "label" row (a clinician's answer about an earlier window,
/// carrying only ids and the label). A window's label is its own label column or, if later, the newest label row with its
/// window_id. Raw patient and device identifiers never appear: only HMAC pseudonyms with the regional key.
/// </summary>
public static class DeltaSchema
{
    /// <summary>Identifier stored in Parquet key/value metadata ("edgehub.schema").</summary>
    public const string Id = "ehub-delta-v1";

    public const string RowKindWindow = "window";
    public const string RowKindLabel = "label";

    /// <summary>Index of the first feature column in <see cref="Columns"/>.</summary>
    public const int FirstFeatureColumn = 8;

    /// <summary>The columns, in file order.</summary>
    public static IReadOnlyList<DeltaColumn> Columns { get; } = Build();

    /// <summary>Index of the column named <paramref name="name"/>, or -1.</summary>
    public static int IndexOf(string name)
    {
        for (var i = 0; i < Columns.Count; i++)
        {
            if (Columns[i].Name == name)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Column name of the predicted probability of class <paramref name="c"/>.</summary>
    public static string ProbabilityColumn(RhythmClass c) => "p_" + RhythmClasses.Name(c);

    private static List<DeltaColumn> Build()
    {
        var columns = new List<DeltaColumn>
        {
            new("row_kind", ColumnKind.String, false),
            new("window_id", ColumnKind.String, false),
            new("edge_id", ColumnKind.String, false),
            new("site_id", ColumnKind.String, false),
            new("device_pseudonym", ColumnKind.String, false),
            new("patient_pseudonym", ColumnKind.String, false),
            new("window_end", ColumnKind.TimestampMicros, false),
            new("recorded_at", ColumnKind.TimestampMicros, false),
        };
        foreach (var f in FeatureSchema.Features)
        {
            columns.Add(new(f.Name, ColumnKind.Float, true));
        }

        columns.Add(new("model_version", ColumnKind.String, true));
        columns.Add(new("predicted_class", ColumnKind.Int32, true));
        for (var c = 0; c < RhythmClasses.Count; c++)
        {
            columns.Add(new(ProbabilityColumn((RhythmClass)c), ColumnKind.Float, true));
        }

        columns.Add(new("alert_id", ColumnKind.String, true));
        columns.Add(new("label", ColumnKind.Int32, true));
        columns.Add(new("label_action", ColumnKind.String, true));
        columns.Add(new("labelled_at", ColumnKind.TimestampMicros, true));
        return columns;
    }
}
