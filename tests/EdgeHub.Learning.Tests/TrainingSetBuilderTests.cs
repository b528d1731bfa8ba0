using EdgeHub.Contracts;
using EdgeHub.Learning.Data;
using EdgeHub.Parquet;

namespace EdgeHub.Learning.Tests;

public sealed class TrainingSetBuilderTests
{
    private static readonly ParquetSchema Schema = new([.. DeltaSchema.Columns.Select(c => new ParquetField(c.Name, Map(c.Kind), c.Nullable))]);

    private sealed record Row(string Kind, string WindowId, string Patient, float?[]? Features, int? Label, long? LabelledAt);

    private static ParquetType Map(ColumnKind kind) => kind switch
    {
        ColumnKind.Boolean => ParquetType.Boolean,
        ColumnKind.Int32 => ParquetType.Int32,
        ColumnKind.Int64 => ParquetType.Int64,
        ColumnKind.Float => ParquetType.Float,
        ColumnKind.Double => ParquetType.Double,
        ColumnKind.String => ParquetType.String,
        _ => ParquetType.TimestampMicros,
    };

    private static Row Window(string id, string patient, int? label = null, long? at = null, float?[]? features = null) =>
        new(DeltaSchema.RowKindWindow, id, patient, features ?? Features(1f), label, at);

    private static Row Label(string id, int? label, long at) => new(DeltaSchema.RowKindLabel, id, "p-x", null, label, at);

    private static float?[] Features(float v)
    {
        var f = new float?[FeatureSchema.Count];
        for (var i = 0; i < f.Length; i++)
        {
            f[i] = v + i;
        }

        return f;
    }

    /// <summary>Writes the rows as a real Parquet file and reads them back, as the hub does with its dataset files.</summary>
    private static ColumnBatch ThroughParquet(params Row[] rows)
    {
        var batch = new ColumnBatch(Schema, rows.Length) { RowCount = rows.Length };
        var kind = batch.String(DeltaSchema.IndexOf("row_kind"));
        var window = batch.String(DeltaSchema.IndexOf("window_id"));
        var patient = batch.String(DeltaSchema.IndexOf("patient_pseudonym"));
        var label = DeltaSchema.IndexOf("label");
        var labelledAt = DeltaSchema.IndexOf("labelled_at");
        for (var r = 0; r < rows.Length; r++)
        {
            var row = rows[r];
            kind[r] = row.Kind;
            window[r] = row.WindowId;
            patient[r] = row.Patient;
            batch.String(DeltaSchema.IndexOf("edge_id"))[r] = "edge-1";
            batch.String(DeltaSchema.IndexOf("site_id"))[r] = "site-1";
            batch.String(DeltaSchema.IndexOf("device_pseudonym"))[r] = "dev";
            for (var f = 0; f < FeatureSchema.Count; f++)
            {
                var c = DeltaSchema.FirstFeatureColumn + f;
                var v = row.Features?[f];
                batch.Valid(c)[r] = v is not null;
                batch.Float(c)[r] = v ?? 0;
            }

            batch.Valid(label)[r] = row.Label is not null;
            batch.Int32(label)[r] = row.Label ?? 0;
            batch.Valid(labelledAt)[r] = row.LabelledAt is not null;
            batch.Int64(labelledAt)[r] = row.LabelledAt ?? 0;
            foreach (var name in new[] { "model_version", "alert_id", "label_action" })
            {
                batch.String(DeltaSchema.IndexOf(name))[r] = null;
            }

            foreach (var name in new[] { "predicted_class" })
            {
                batch.Valid(DeltaSchema.IndexOf(name))[r] = false;
            }

            for (var c = 0; c < RhythmClasses.Count; c++)
            {
                batch.Valid(DeltaSchema.IndexOf(DeltaSchema.ProbabilityColumn((RhythmClass)c)))[r] = false;
            }
        }

        using var stream = new MemoryStream();
        using (var writer = new ParquetWriter(stream, Schema))
        {
            writer.Write(batch);
        }

        using var reader = new ParquetReader(stream.ToArray());
        return reader.ReadAll();
    }

    [Fact]
    public void Add_JoinsLabels_NewestAnswerWins_UnlabelledWindowsDropped()
    {
        var b = new TrainingSetBuilder();
        b.Add(ThroughParquet(
            Window("w1", "p1", label: 1, at: 100),             // own label
            Window("w2", "p1"),                                // labelled later by a label row
            Window("w3", "p2", label: 2, at: 500),             // an older label row must not override
            Window("w4", "p2"),                                // never labelled
            Label("w2", 3, 200),
            Label("w3", 0, 400),
            Label("w2", null, 300),                            // "acknowledge": no label
            Label("w1", 9, 150)), addedSinceParent: false);    // not a class: ignored
        var set = b.Build(datasetVersion: 5);

        Assert.Equal(3, set.Count);
        Assert.Equal([1, 3, 2], set.Labels);
        Assert.Equal(1, set.Stats.UnlabelledWindows);
        Assert.Equal(1, set.Stats.InvalidLabels);
        Assert.Equal(4, set.Stats.WindowRows);
        Assert.Equal(4, set.Stats.LabelRows);
        Assert.Equal(5, set.DatasetVersion);
    }

    [Fact]
    public void Add_LabelArrivingAfterTheParent_MakesAnOldWindowNew_AndOrphansWaitForTheirWindow()
    {
        var b = new TrainingSetBuilder();
        b.Add(ThroughParquet(Window("w1", "p1", label: 0, at: 10), Window("w2", "p1"), Label("w9", 4, 5)), addedSinceParent: false);
        b.Add(ThroughParquet(Label("w2", 5, 50), Window("w9", "p3"), Window("w10", "p3", label: 1, at: 60)), addedSinceParent: true);
        var set = b.Build(datasetVersion: 7, sinceVersion: 6);

        Assert.Equal([0, 5, 4, 1], set.Labels);
        Assert.Equal([false, true, true, true], set.IsNew); // w9's window row itself arrived after the parent
        Assert.Equal(0, set.Stats.OrphanLabels);
        Assert.Equal(6, set.SinceVersion);
    }

    [Fact]
    public void Add_NullAndNonFiniteFeatures_AreImputedWithSchemaDefaults()
    {
        var features = Features(2f);
        features[0] = null;
        features[26] = float.NaN;
        features[27] = float.PositiveInfinity;
        var b = new TrainingSetBuilder();
        b.Add(ThroughParquet(Window("w1", "p1", label: 0, at: 1, features: features)), addedSinceParent: false);
        var set = b.Build(1);

        Assert.Equal(FeatureSchema.Features[0].Default, set.Features[0]);
        Assert.Equal(FeatureSchema.Features[26].Default, set.Features[26]);
        Assert.Equal(FeatureSchema.Features[27].Default, set.Features[27]);
        Assert.Equal(2f + 1, set.Features[1]);
        Assert.Equal(3, set.Stats.ImputedValues);
    }

    [Fact]
    public void Add_DuplicateWindowRow_KeepsTheFirst()
    {
        var b = new TrainingSetBuilder();
        b.AddWindow("w1", "p1", Features(1f).Select(f => f!.Value).ToArray(), 1, 1, isNew: false);
        b.AddWindow("w1", "p1", Features(9f).Select(f => f!.Value).ToArray(), 2, 2, isNew: false);
        var set = b.Build(1);
        Assert.Equal(1, set.Count);
        Assert.Equal(1, set.Stats.DuplicateWindows);
        Assert.Equal(1f, set.Features[0]);
    }

    [Fact]
    public void Holdout_IsPerPatient_StableAndAboutTenPercent()
    {
        var b1 = new TrainingSetBuilder();
        var b2 = new TrainingSetBuilder();
        var f = Features(1f).Select(x => x!.Value).ToArray();
        for (var p = 0; p < 2_000; p++)
        {
            for (var w = 0; w < 3; w++)
            {
                var id = $"p{p}-w{w}";
                b1.AddWindow(id, $"patient-{p}", f, 0, 1, false);
                b2.AddWindow(id, $"patient-{p}", f, 0, 1, false);
            }
        }

        var s1 = b1.Build(1);
        var s2 = b2.Build(1);
        Assert.Equal(s1.IsHoldout, s2.IsHoldout);
        for (var p = 0; p < 2_000; p++)
        {
            Assert.True(s1.IsHoldout[p * 3] == s1.IsHoldout[(p * 3) + 1] && s1.IsHoldout[p * 3] == s1.IsHoldout[(p * 3) + 2]);
        }

        var share = (double)s1.HoldoutIndices.Length / s1.Count;
        Assert.InRange(share, 0.08, 0.12);
        Assert.Equal("holdout-v1-patient-0.10", s1.Holdout.Id);

        // Another definition (version 2, new salt) draws a different holdout over the same patients.
        var b3 = new TrainingSetBuilder(new HoldoutDefinition { Version = 2, Salt = "another" });
        for (var p = 0; p < 2_000; p++)
        {
            b3.AddWindow($"x{p}", $"patient-{p}", f, 0, 1, false);
        }

        Assert.NotEqual(Every3rd(s1.IsHoldout), b3.Build(1).IsHoldout);
    }

    [Fact]
    public void Add_BatchWithoutLabelColumn_ThrowsNamingIt()
    {
        var schema = new ParquetSchema([new ParquetField("row_kind", ParquetType.String), new ParquetField("window_id", ParquetType.String)]);
        var e = Assert.Throws<ArgumentException>(() => new TrainingSetBuilder().Add(new ColumnBatch(schema, 0), false));
        Assert.Contains("dataset rows lack column 'hr_mean_bpm'", e.Message, StringComparison.Ordinal);
    }

    private static bool[] Every3rd(bool[] a) => [.. a.Where((_, i) => i % 3 == 0)];
}
