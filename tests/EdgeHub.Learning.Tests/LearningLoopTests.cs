using EdgeHub.Contracts;
using EdgeHub.Learning.Data;
using EdgeHub.Learning.Registry;
using EdgeHub.Learning.Rollouts;
using EdgeHub.Learning.Training;
using EdgeHub.Onnx;
using EdgeHub.Parquet;

namespace EdgeHub.Learning.Tests;

/// <summary>
/// The loop end to end inside the library: Parquet dataset rows → training set → full model → drifted delta with late labels →
/// differential model → signed registry → rollout whose assignments edges verify (signature, hash, schema) and load in ORT.
/// </summary>
public sealed class LearningLoopTests
{
    private static readonly ParquetSchema Schema = new([.. DeltaSchema.Columns.Select(c => new ParquetField(c.Name, c.Kind switch
    {
        ColumnKind.Int32 => ParquetType.Int32,
        ColumnKind.Float => ParquetType.Float,
        ColumnKind.String => ParquetType.String,
        ColumnKind.TimestampMicros => ParquetType.TimestampMicros,
        ColumnKind.Int64 => ParquetType.Int64,
        ColumnKind.Double => ParquetType.Double,
        _ => ParquetType.Boolean,
    }, c.Nullable))]);

    [Fact]
    public async Task Loop_DatasetToSignedRolledOutModel()
    {
        using var key = ModelSignature.GenerateKey();
        var publicPem = ModelSignature.ExportPublicKeyPem(key);
        var store = new InMemoryModelRegistryStore();
        var pipeline = new RetrainPipeline(new ModelRegistry(store, key), new RetrainOptions { Trainer = TestData.Options with { Epochs = 2 } });

        // Dataset version 1: baseline windows, labelled in the window rows.
        var v1 = ToParquet(TestData.Base, "a", lateLabels: false);
        var b1 = new TrainingSetBuilder();
        b1.Add(v1, addedSinceParent: true);
        var first = await pipeline.RunAsync("eu", b1.Build(1), TrainingMode.Full, null, CancellationToken.None);
        Assert.True(first.Promoted, first.Gate.Summary);

        // Version 2: a drifted delta whose labels arrive as separate label rows.
        var delta = new SyntheticFeatureGenerator(77, DriftProfile.NewLeadPlacement).Generate(5_000, firstPatient: 500_000);
        var b2 = new TrainingSetBuilder();
        b2.Add(v1, addedSinceParent: false);
        b2.Add(ToParquet(delta, "b", lateLabels: true), addedSinceParent: true);
        var set2 = b2.Build(2, sinceVersion: first.Model.DatasetVersion);
        Assert.Equal(5_000, set2.NewRowCount);
        var second = await pipeline.RunAsync("eu", set2, TrainingMode.Differential, first.Model.Version, CancellationToken.None);
        Assert.True(second.Promoted, second.Gate.Summary);
        Assert.Equal(ModelStatus.Approved, second.Model.Status);

        // Roll it out to five edges that check every assignment as the agent does.
        string[] edges = ["e1", "e2", "e3", "e4", "e5"];
        var engine = new RolloutEngine("eu", null, edges, DateTimeOffset.UnixEpoch);
        var running = edges.ToDictionary(e => e, _ => (string?)null);
        var now = DateTimeOffset.UnixEpoch;
        async Task Deliver(IReadOnlyList<AssignmentCommand> commands)
        {
            foreach (var c in commands.Where(c => c.EdgeId is not null))
            {
                var record = (await store.GetAsync(c.ModelVersion!, CancellationToken.None))!;
                var assignment = c.ToAssignment(record, $"http://hub/api/models/{record.Version}/onnx", now);
                var bytes = (await store.GetOnnxAsync(assignment.ModelVersion, CancellationToken.None))!;
                Assert.Equal(assignment.Sha256, ModelSignature.Sha256Hex(bytes));
                Assert.True(ModelSignature.Verify(bytes, assignment.Signature, publicPem), $"{c.EdgeId}: signature of {record.Version}");
                Assert.Equal(FeatureSchema.Id, OnnxModelInfo.Read(bytes).FeatureSchemaId);
                using var session = OnnxSession.FromBytes(bytes);
                Assert.Equal(RhythmClasses.Count, session.Outputs[0].Shape[^1]);
                running[c.EdgeId!] = assignment.ModelVersion;
            }
        }

        await Deliver(engine.SetRegionModel(first.Model.Version, now, "first model"));
        engine.Create(new RolloutPlan
        {
            RolloutId = "r-eu-2", Region = "eu", ModelVersion = second.Model.Version, CanaryEdges = ["e2"],
            CanaryDuration = TimeSpan.FromMinutes(5), Waves = [new RolloutWave { Percent = 40, Interval = TimeSpan.FromMinutes(5) }],
        }, now);
        for (var minute = 0; minute < 60 && engine.Active is not null; minute++)
        {
            now = DateTimeOffset.UnixEpoch.AddMinutes(minute);
            var observations = edges.Select(e => new EdgeObservation { EdgeId = e, At = now, ModelVersion = running[e] }).ToList();
            await Deliver(engine.Tick(now, observations));
        }

        Assert.Equal(RolloutState.Complete, engine.Finished[^1].State);
        Assert.All(edges, e => Assert.Equal("eu-2", running[e]));
    }

    /// <summary>Generated windows as a Parquet file of the regional table; with late labels, labels travel as label rows.</summary>
    private static ColumnBatch ToParquet(GeneratedRows rows, string prefix, bool lateLabels)
    {
        var n = rows.Count + (lateLabels ? rows.Count : 0);
        var batch = new ColumnBatch(Schema, n) { RowCount = n };
        int Col(string name) => DeltaSchema.IndexOf(name);
        var label = Col("label");
        var at = Col("labelled_at");
        for (var r = 0; r < n; r++)
        {
            var i = r % rows.Count;
            var isLabelRow = r >= rows.Count;
            batch.String(Col("row_kind"))[r] = isLabelRow ? DeltaSchema.RowKindLabel : DeltaSchema.RowKindWindow;
            batch.String(Col("window_id"))[r] = $"{prefix}-w{i}";
            batch.String(Col("edge_id"))[r] = "edge-1";
            batch.String(Col("site_id"))[r] = "site-1";
            batch.String(Col("device_pseudonym"))[r] = $"dev-{rows.PatientIds[i]}";
            batch.String(Col("patient_pseudonym"))[r] = $"p{rows.PatientIds[i]}";
            for (var f = 0; f < FeatureSchema.Count; f++)
            {
                batch.Valid(DeltaSchema.FirstFeatureColumn + f)[r] = !isLabelRow;
                batch.Float(DeltaSchema.FirstFeatureColumn + f)[r] = isLabelRow ? 0 : rows.Features[(i * FeatureSchema.Count) + f];
            }

            var carriesLabel = lateLabels == isLabelRow;
            batch.Valid(label)[r] = carriesLabel;
            batch.Int32(label)[r] = rows.Labels[i];
            batch.Valid(at)[r] = carriesLabel;
            batch.Int64(at)[r] = 1_000 + i;
        }

        using var stream = new MemoryStream();
        using (var writer = new ParquetWriter(stream, Schema))
        {
            writer.Write(batch);
        }

        using var reader = new ParquetReader(stream.ToArray());
        return reader.ReadAll();
    }
}
