using System.Security.Cryptography;
using EdgeHub.Contracts;
using EdgeHub.Hub.Ingest;
using EdgeHub.Parquet;

namespace EdgeHub.Hub.Tests.Support;

/// <summary>One delta file as an edge would send it.</summary>
public sealed record TestDelta(string EdgeId, long Sequence, string DeltaId, byte[] Bytes, string Sha256, int Rows, int LabelledRows)
{
    /// <summary>The MQTT user properties / HTTP headers of this delta.</summary>
    public List<KeyValuePair<string, string>> Properties() =>
    [
        new(DeltaProperties.DeltaId, DeltaId),
        new(DeltaProperties.Sequence, Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new(DeltaProperties.Rows, Rows.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new(DeltaProperties.Sha256, Sha256),
        new(DeltaProperties.SchemaId, DeltaSchema.Id),
    ];
}

/// <summary>
/// Writes real delta files through EdgeHub.Parquet in the <see cref="DeltaSchema"/> row layout: window rows with features
/// and predictions (window ids "{edge}-{sequence}-{row}" so tests can count every row), every k-th one labelled.
/// </summary>
public static class DeltaFactory
{
    private static readonly int RowKind = DeltaSchema.IndexOf("row_kind");
    private static readonly int WindowId = DeltaSchema.IndexOf("window_id");
    private static readonly int Edge = DeltaSchema.IndexOf("edge_id");
    private static readonly int Site = DeltaSchema.IndexOf("site_id");
    private static readonly int Device = DeltaSchema.IndexOf("device_pseudonym");
    private static readonly int Patient = DeltaSchema.IndexOf("patient_pseudonym");
    private static readonly int WindowEnd = DeltaSchema.IndexOf("window_end");
    private static readonly int RecordedAt = DeltaSchema.IndexOf("recorded_at");
    private static readonly int ModelVersion = DeltaSchema.IndexOf("model_version");
    private static readonly int Predicted = DeltaSchema.IndexOf("predicted_class");
    private static readonly int FirstProbability = DeltaSchema.IndexOf(DeltaSchema.ProbabilityColumn(RhythmClass.Normal));
    private static readonly int Label = DeltaSchema.IndexOf("label");
    private static readonly int LabelAction = DeltaSchema.IndexOf("label_action");

    /// <summary>
    /// A delta whose windows carry <paramref name="features"/> (row-major, <see cref="FeatureSchema.Count"/> per row), every
    /// window labelled with <paramref name="labels"/> and owned by patient "p{patients[i]}" (the holdout key).
    /// </summary>
    public static TestDelta FromFeatures(string edgeId, long sequence, ReadOnlySpan<float> features, ReadOnlySpan<int> labels, ReadOnlySpan<int> patients)
    {
        var rows = labels.Length;
        var batch = Fill(edgeId, sequence, rows, labelEvery: 1, seed: 1, out _);
        for (var r = 0; r < rows; r++)
        {
            batch.String(Patient)[r] = "p" + patients[r].ToString(System.Globalization.CultureInfo.InvariantCulture);
            for (var f = 0; f < FeatureSchema.Count; f++)
            {
                batch.Float(DeltaSchema.FirstFeatureColumn + f)[r] = features[(r * FeatureSchema.Count) + f];
            }

            batch.Int32(Label)[r] = labels[r];
        }

        return Write(edgeId, sequence, batch, rows);
    }

    /// <summary>Builds delta <paramref name="sequence"/> of <paramref name="edgeId"/> with <paramref name="rows"/> rows.</summary>
    public static TestDelta Create(string edgeId, long sequence, int rows, int labelEvery = 4, int seed = 1)
    {
        var batch = Fill(edgeId, sequence, rows, labelEvery, seed, out var labelled);
        return Write(edgeId, sequence, batch, labelled);
    }

    private static ColumnBatch Fill(string edgeId, long sequence, int rows, int labelEvery, int seed, out int labelled)
    {
        var random = new Random(HashCode.Combine(edgeId, sequence, seed));
        var batch = new ColumnBatch(DeltaFileFormat.Schema, rows);
        batch.RowCount = rows;
        var t0 = 1_760_000_000_000_000L + (sequence * 1_000_000L);
        labelled = 0;
        for (var r = 0; r < rows; r++)
        {
            batch.String(RowKind)[r] = DeltaSchema.RowKindWindow;
            batch.String(WindowId)[r] = $"{edgeId}-{sequence}-{r}";
            batch.String(Edge)[r] = edgeId;
            batch.String(Site)[r] = "site-1";
            batch.String(Device)[r] = "dev" + (r % 7);
            batch.String(Patient)[r] = "pat" + (r % 5);
            batch.Int64(WindowEnd)[r] = t0 + (r * 10_000L);
            batch.Int64(RecordedAt)[r] = t0 + (r * 10_000L) + 5;
            for (var f = 0; f < FeatureSchema.Count; f++)
            {
                batch.Float(DeltaSchema.FirstFeatureColumn + f)[r] = (float)random.NextDouble();
                batch.Valid(DeltaSchema.FirstFeatureColumn + f)[r] = true;
            }

            batch.String(ModelVersion)[r] = "m1";
            batch.Valid(ModelVersion)[r] = true;
            var predicted = random.Next(RhythmClasses.Count);
            batch.Int32(Predicted)[r] = predicted;
            batch.Valid(Predicted)[r] = true;
            for (var c = 0; c < RhythmClasses.Count; c++)
            {
                batch.Float(FirstProbability + c)[r] = c == predicted ? 0.9f : 0.1f / (RhythmClasses.Count - 1);
                batch.Valid(FirstProbability + c)[r] = true;
            }

            if (labelEvery > 0 && r % labelEvery == 0)
            {
                batch.Int32(Label)[r] = predicted;
                batch.Valid(Label)[r] = true;
                batch.String(LabelAction)[r] = "confirm";
                batch.Valid(LabelAction)[r] = true;
                labelled++;
            }
        }

        return batch;
    }

    private static TestDelta Write(string edgeId, long sequence, ColumnBatch batch, int labelled)
    {
        var rows = batch.RowCount;
        var bytes = DeltaFileFormat.Write(batch, ParquetCompression.Snappy);
        return new TestDelta(edgeId, sequence, $"{edgeId}-d{sequence}", bytes, Convert.ToHexStringLower(SHA256.HashData(bytes)), rows, labelled);
    }
}
