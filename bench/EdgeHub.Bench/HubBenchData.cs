using System.Security.Cryptography;
using EdgeHub.Contracts;
using EdgeHub.Hub.Ingest;
using EdgeHub.Parquet;

namespace EdgeHub.Bench;

/// <summary>A pre-built delta for the hub benchmark: Parquet bytes in the delta row schema plus its manifest.</summary>
internal sealed record HubBenchDelta(string EdgeId, long Sequence, string DeltaId, byte[] Bytes, string Sha256, int Rows)
{
    public List<KeyValuePair<string, string>> Properties() =>
    [
        new(DeltaProperties.DeltaId, DeltaId),
        new(DeltaProperties.Sequence, Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new(DeltaProperties.Rows, Rows.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new(DeltaProperties.Sha256, Sha256),
        new(DeltaProperties.SchemaId, DeltaSchema.Id),
    ];
}

/// <summary>Generates realistic deltas (window rows with every feature and probability, a quarter labelled), Snappy-compressed.</summary>
internal static class HubBenchData
{
    public static HubBenchDelta Create(string edgeId, long sequence, int rows)
    {
        var random = new Random(HashCode.Combine(edgeId, sequence));
        var batch = new ColumnBatch(DeltaFileFormat.Schema, rows) { RowCount = rows };
        var t0 = 1_760_000_000_000_000L + (sequence * 10_000_000L);
        int I(string name) => DeltaSchema.IndexOf(name);
        var predictedColumn = I("predicted_class");
        var firstProbability = I(DeltaSchema.ProbabilityColumn(RhythmClass.Normal));
        for (var r = 0; r < rows; r++)
        {
            batch.String(I("row_kind"))[r] = DeltaSchema.RowKindWindow;
            batch.String(I("window_id"))[r] = $"{edgeId}-{sequence}-{r}";
            batch.String(I("edge_id"))[r] = edgeId;
            batch.String(I("site_id"))[r] = "site-" + (r % 3);
            batch.String(I("device_pseudonym"))[r] = "d" + (r % 50);
            batch.String(I("patient_pseudonym"))[r] = "p" + (r % 50);
            batch.Int64(I("window_end"))[r] = t0 + (r * 1_000_000L);
            batch.Int64(I("recorded_at"))[r] = t0 + (r * 1_000_000L) + 1000;
            for (var f = 0; f < FeatureSchema.Count; f++)
            {
                batch.Float(DeltaSchema.FirstFeatureColumn + f)[r] = (float)random.NextDouble();
                batch.Valid(DeltaSchema.FirstFeatureColumn + f)[r] = true;
            }

            batch.String(I("model_version"))[r] = "eu-1";
            batch.Valid(I("model_version"))[r] = true;
            var predicted = random.Next(RhythmClasses.Count);
            batch.Int32(predictedColumn)[r] = predicted;
            batch.Valid(predictedColumn)[r] = true;
            for (var c = 0; c < RhythmClasses.Count; c++)
            {
                batch.Float(firstProbability + c)[r] = (float)random.NextDouble();
                batch.Valid(firstProbability + c)[r] = true;
            }

            if (r % 4 == 0)
            {
                batch.Int32(I("label"))[r] = predicted;
                batch.Valid(I("label"))[r] = true;
            }
        }

        var bytes = DeltaFileFormat.Write(batch, ParquetCompression.Snappy);
        return new HubBenchDelta(edgeId, sequence, $"{edgeId}-{sequence}", bytes, Convert.ToHexStringLower(SHA256.HashData(bytes)), rows);
    }
}
