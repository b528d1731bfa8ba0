using EdgeHub.Contracts;
using EdgeHub.Learning.Data;
using EdgeHub.Learning.Promotion;
using EdgeHub.Learning.Registry;
using EdgeHub.Learning.Training;

namespace EdgeHub.Learning.Tests;

public sealed class RegistryTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("edgehub-registry-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task Pipeline_FullThenDifferential_RegistersSignedModelsWithLineage()
    {
        using var key = ModelSignature.GenerateKey();
        var publicPem = ModelSignature.ExportPublicKeyPem(key);
        using var store = new FileModelRegistryStore(_dir.FullName);
        var registry = new ModelRegistry(store, key);
        var pipeline = new RetrainPipeline(registry, new RetrainOptions { Trainer = TestData.Options with { Epochs = 2 } });

        var first = await pipeline.RunAsync("eu", TestData.BaseSet, TrainingMode.Full, null, CancellationToken.None);
        Assert.Equal("eu-1", first.Model.Version);
        Assert.Equal(ModelStatus.Approved, first.Model.Status);
        Assert.Equal("full", first.Model.TrainingMode);
        Assert.Equal(0, first.Model.ChainLength);
        Assert.Equal(FeatureSchema.Id, first.Model.FeatureSchemaId);
        Assert.True(ModelSignature.Verify(first.Onnx, first.Model.Signature, publicPem));
        Assert.Equal(ModelSignature.Sha256Hex(first.Onnx), first.Model.Sha256);

        var delta = new SyntheticFeatureGenerator(41, DriftProfile.NewLeadPlacement).Generate(4_000, firstPatient: 200_000);
        var set2 = SyntheticFeatureGenerator.ToTrainingSet(HoldoutDefinition.Default, 2, 1, (TestData.Base, false), (delta, true));
        var second = await pipeline.RunAsync("eu", set2, TrainingMode.Differential, "eu-1", CancellationToken.None);
        Assert.Equal("eu-2", second.Model.Version);
        Assert.Equal("eu-1", second.Model.ParentVersion);
        Assert.Equal(1, second.Model.BaseDatasetVersion);
        Assert.Equal(2, second.Model.DatasetVersion);
        Assert.Equal(1, second.Model.ChainLength);
        Assert.NotNull(second.ParentMetrics);
        Assert.True(second.Promoted, second.Gate.Summary);
        Assert.Equal("eu-2 differential on eu@v2 since v1 ← eu-1", second.Model.Lineage);

        // What the edge does: fetch bytes, verify with the hub's public key from its settings.
        var served = await store.GetOnnxAsync("eu-2", CancellationToken.None);
        Assert.True(ModelSignature.Verify(served, second.Model.Signature, publicPem));

        // A fresh store over the same folder sees the same registry (metrics survive JSON, NaN included).
        using var reopened = new FileModelRegistryStore(_dir.FullName);
        var list = await reopened.ListAsync("eu", CancellationToken.None);
        Assert.Equal(["eu-2", "eu-1"], list.Select(m => m.Version));
        Assert.Equal(second.Metrics.MacroAuroc, list[0].Metrics!.MacroAuroc);
        Assert.Equal(second.Gate.Summary, list[0].Gate!.Summary);
        Assert.Equal(["eu-2", "eu-1"], await registry.AncestorVersionsAsync("eu-2", CancellationToken.None));
    }

    [Fact]
    public async Task Pipeline_DifferentialOnWrongBase_OrWrongRegion_ThrowsClearly()
    {
        using var key = ModelSignature.GenerateKey();
        var registry = new ModelRegistry(new InMemoryModelRegistryStore(), key);
        var pipeline = new RetrainPipeline(registry, new RetrainOptions { Trainer = TestData.Options with { Epochs = 1 } });
        await pipeline.RunAsync("eu", TestData.BaseSet, TrainingMode.Full, null, CancellationToken.None);

        var noParent = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            pipeline.RunAsync("eu", TestData.BaseSet, TrainingMode.Differential, null, CancellationToken.None));
        Assert.Contains("first model must be a full retrain", noParent.Message, StringComparison.Ordinal);

        var wrongBase = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            pipeline.RunAsync("eu", TestData.BaseSet, TrainingMode.Differential, "eu-1", CancellationToken.None));
        Assert.Contains("rebuild the set with sinceVersion 1", wrongBase.Message, StringComparison.Ordinal);

        var wrongRegion = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            pipeline.RunAsync("na", TestData.BaseSet, TrainingMode.Full, "eu-1", CancellationToken.None));
        Assert.Contains("stay in their region", wrongRegion.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Registry_DegradedCandidate_IsRegisteredAsRejected()
    {
        using var key = ModelSignature.GenerateKey();
        var registry = new ModelRegistry(new InMemoryModelRegistryStore(), key);
        var parentMetrics = Evaluation.MetricsCalculator.EvaluateHoldout(TestData.Parent, TestData.BaseSet);
        var parent = await registry.RegisterAsync(new ModelRegistration
        {
            Region = "eu", Training = Result(TestData.Parent, TrainingMode.Full), DatasetVersion = 1, Metrics = parentMetrics,
        }, CancellationToken.None);

        var degraded = TestData.Parent.Clone();
        degraded.Layers[^1].Bias[(int)RhythmClass.AtrialFibrillation] -= 4f;
        var metrics = Evaluation.MetricsCalculator.EvaluateHoldout(degraded, TestData.BaseSet);
        var gate = PromotionGate.Evaluate(metrics, parentMetrics);
        var (model, _) = await registry.RegisterAsync(new ModelRegistration
        {
            Region = "eu", Training = Result(degraded, TrainingMode.Differential), DatasetVersion = 2, Parent = parent.Model,
            Metrics = metrics, ParentMetrics = parentMetrics, Gate = gate,
        }, CancellationToken.None);
        Assert.Equal(ModelStatus.Rejected, model.Status);
        Assert.Equal("eu-1", (await registry.LatestApprovedAsync("eu", CancellationToken.None))!.Version);
    }

    [Fact]
    public async Task LoadModel_TamperedBytes_IsRefused()
    {
        using var key = ModelSignature.GenerateKey();
        using var store = new FileModelRegistryStore(_dir.FullName);
        var registry = new ModelRegistry(store, key);
        await registry.RegisterAsync(new ModelRegistration
        {
            Region = "eu", Training = Result(TestData.Parent, TrainingMode.Full), DatasetVersion = 1,
        }, CancellationToken.None);
        var loaded = await registry.LoadModelAsync("eu-1", CancellationToken.None);
        Assert.Equal(TestData.Parent.Layers[0].Weights, loaded.Layers[0].Weights);

        var path = Path.Combine(_dir.FullName, "eu-1.onnx");
        var bytes = File.ReadAllBytes(path);
        bytes[^5] ^= 0x10;
        File.WriteAllBytes(path, bytes);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => registry.LoadModelAsync("eu-1", CancellationToken.None));
        Assert.Contains("altered or corrupted", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Registry_ConcurrentWriters_NeverShareAVersion()
    {
        using var key = ModelSignature.GenerateKey();
        var store = new InMemoryModelRegistryStore();
        var a = new ModelRegistry(store, key);
        var b = new ModelRegistry(store, key);
        var registration = new ModelRegistration { Region = "eu", Training = Result(TestData.Parent, TrainingMode.Full), DatasetVersion = 1 };
        var results = await Task.WhenAll(
            Enumerable.Range(0, 6).Select(i => (i % 2 == 0 ? a : b).RegisterAsync(registration, CancellationToken.None)));
        Assert.Equal(6, results.Select(r => r.Model.Version).Distinct().Count());
    }

    [Fact]
    public async Task Lineage_AnswersModelToDatasetVersionToDeltasToEdges()
    {
        using var key = ModelSignature.GenerateKey();
        var store = new InMemoryModelRegistryStore();
        var registry = new ModelRegistry(store, key);
        var (full, _) = await registry.RegisterAsync(new ModelRegistration
        {
            Region = "eu", Training = Result(TestData.Parent, TrainingMode.Full), DatasetVersion = 2,
        }, CancellationToken.None);
        await registry.RegisterAsync(new ModelRegistration
        {
            Region = "eu", Training = Result(TestData.Parent, TrainingMode.Differential), DatasetVersion = 4, Parent = full,
        }, CancellationToken.None);

        var history = new FakeHistory(
            new DatasetCommit(0, null, null, null, 0, DateTimeOffset.UnixEpoch),
            new DatasetCommit(1, "d-a1", "edge-a", 1, 100, DateTimeOffset.UnixEpoch),
            new DatasetCommit(2, "d-b1", "edge-b", 1, 120, DateTimeOffset.UnixEpoch),
            new DatasetCommit(3, "d-a2", "edge-a", 2, 90, DateTimeOffset.UnixEpoch),
            new DatasetCommit(4, "d-c1", "edge-c", 1, 80, DateTimeOffset.UnixEpoch),
            new DatasetCommit(5, "d-d1", "edge-d", 1, 70, DateTimeOffset.UnixEpoch));
        var lineage = await LineageResolver.ResolveAsync(store, history, "eu-2", CancellationToken.None);
        Assert.Equal(4, lineage.Model.DatasetVersion);
        Assert.Equal(["eu-1"], lineage.Ancestors.Select(m => m.Version));
        Assert.Equal([3L, 4L], lineage.NewCommits.Select(c => c.Version));
        Assert.Equal(["d-a1", "d-a2", "d-b1", "d-c1"], lineage.Deltas);
        Assert.Equal(["edge-a", "edge-b", "edge-c"], lineage.Edges);
        await Assert.ThrowsAsync<InvalidOperationException>(() => LineageResolver.ResolveAsync(store, history, "eu-9", CancellationToken.None));
    }

    private static TrainingResult Result(MlpModel model, TrainingMode mode) =>
        new() { Model = model, Mode = mode, TrainRows = 10, Duration = TimeSpan.FromSeconds(1) };

    private sealed class FakeHistory(params DatasetCommit[] commits) : ILineageSource
    {
        public Task<IReadOnlyList<DatasetCommit>> GetCommitsAsync(string region, long afterVersion, long upToVersion, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<DatasetCommit>>(commits.Where(c => c.Version > afterVersion && c.Version <= upToVersion).ToList());
    }
}
