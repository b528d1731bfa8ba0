using EdgeHub.Cli.Demo;
using EdgeHub.Contracts;
using EdgeHub.Edge.Models;
using EdgeHub.Learning.Data;
using EdgeHub.Learning.Export;
using EdgeHub.Learning.Training;

namespace EdgeHub.Cli.Eval;

/// <summary>
/// The models <c>eval rhythm</c> scores, all loaded through the edge's <see cref="LoadedModel"/> (same ORT session and smoke
/// run an edge uses): a file, the model the demo's hub trains first (synthetic seed patients only), or one trained on the
/// synthetic seed plus real records.
/// </summary>
internal static class RhythmModels
{
    /// <summary>Synthetic seed patients per class and seconds each: what the demo seeds each region with.</summary>
    public const int SyntheticDevicesPerClass = 60;
    public const int SyntheticSeconds = 30;
    public const int Seed = 1;

    private static List<SeedWindows>? _synthetic;

    /// <summary>The demo's synthetic seed patients (built once per process; deterministic).</summary>
    public static IReadOnlyList<SeedWindows> Synthetic => _synthetic ??= DemoSeed.Synthetic("eval", SyntheticDevicesPerClass, SyntheticSeconds, Seed);

    /// <summary>Loads an ONNX model file as the edge would serve it (the signature check aside: a file has none).</summary>
    /// <exception cref="ModelRejectedException">ORT refused the model or its shape is not [N, 32] → [N, 6].</exception>
    public static LoadedModel FromFile(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"--model '{path}' does not exist; pass an ONNX model exported by the hub", path);
        }

        return Load(File.ReadAllBytes(path), Path.GetFileNameWithoutExtension(path));
    }

    /// <summary>Trains the hub's MLP (its trainer options and patient holdout) on <paramref name="patients"/> and loads it.</summary>
    public static LoadedModel Train(IEnumerable<SeedWindows> patients, string version, CancellationToken ct)
    {
        var set = SeedWindows.ToTrainingSet(patients);
        var result = MlpTrainer.TrainFull(set, TrainerOptions.Mlp with { Seed = Seed }, ct);
        var bytes = ModelExporter.ToOnnx(result.Model, new ModelExportInfo
        {
            ModelVersion = version,
            Region = "eval",
            Mode = TrainingMode.Full,
            DatasetVersion = 1,
            HoldoutId = set.Holdout.Id,
        });
        return Load(bytes, version);
    }

    private static LoadedModel Load(byte[] bytes, string version) => LoadedModel.Load(new ModelAssignment
    {
        ModelVersion = version,
        Region = "eval",
        Sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)),
        Signature = "",
        FeatureSchemaId = FeatureSchema.Id,
    }, bytes, maxBatch: 256);
}
