using EdgeHub.Contracts;
using EdgeHub.Edge.Store;
using EdgeHub.Edge.Tests.Support;
using EdgeHub.Parquet;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeHub.Edge.Tests;

/// <summary>The store reuses one delta builder across seals: a later delta must never carry a value of an earlier one.</summary>
public class DeltaBuilderReuseTests
{
    [Fact]
    public void SealsWithTheSameCapacity_LabelRowsAfterPredictedWindows_CarryNoStaleValues()
    {
        using var dir = new TempDir();
        using var store = new EdgeStore(Path.Combine(dir.Path, "e.db"), "edge-r", NullLogger.Instance);
        var rows = new WindowRecord[8];
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i] = new WindowRecord
            {
                SiteId = "ward-1",
                DevicePseudonym = "p_dev",
                PatientPseudonym = "p_pat",
                WindowEndMicros = i * 1_000_000L,
                RecordedAtMicros = (i * 1_000_000L) + 5,
                PredictedClass = 2,
                ModelVersion = "m1",
            };
            rows[i].Features.AsSpan().Fill(7.5f);
            rows[i].Probabilities[2] = 0.9f;
        }

        store.InsertWindows(rows, new long[rows.Length]);
        store.RecordAlert("al-r", "af", "model", "ward-1", "p_dev", 0);
        Assert.Equal(8, store.AssignAlert("al-r", "p_dev", 0, 7_000_000));
        var first = store.TrySeal(8, ParquetCompression.None, 10)!;
        Assert.Equal(8, first.Rows);

        // Every sealed window now gets a label row: the second delta (same capacity, so the same builder) holds only those.
        Assert.Equal(8, store.ApplyLabel("al-r", (int)RhythmClass.AtrialFibrillation, "confirm", DateTimeOffset.UtcNow));
        var second = store.TrySeal(8, ParquetCompression.None, 10)!;
        using var reader = new ParquetReader(store.ReadDeltaBytes(second.Sequence)!);
        var batch = reader.ReadAll();
        Assert.Equal(8, batch.RowCount);
        for (var r = 0; r < batch.RowCount; r++)
        {
            Assert.Equal("label", batch.String(DeltaSchema.IndexOf("row_kind"))[r]);
            for (var f = 0; f < FeatureSchema.Count; f++)
            {
                Assert.True(batch.IsNull(DeltaSchema.FirstFeatureColumn + f, r), $"row {r} feature {f} is null in a label row");
            }

            Assert.True(batch.IsNull(DeltaSchema.IndexOf("model_version"), r));
            Assert.True(batch.IsNull(DeltaSchema.IndexOf("predicted_class"), r));
            Assert.True(batch.IsNull(DeltaSchema.IndexOf(DeltaSchema.ProbabilityColumn(RhythmClass.Normal)), r));
        }

        // And the first delta is untouched by the reuse (its bytes were frozen with their digest).
        using var firstReader = new ParquetReader(store.ReadDeltaBytes(first.Sequence)!);
        var firstBatch = firstReader.ReadAll();
        Assert.Equal(7.5f, firstBatch.Float(DeltaSchema.FirstFeatureColumn)[7]);
        Assert.Equal("window", firstBatch.String(DeltaSchema.IndexOf("row_kind"))[0]);
    }
}
