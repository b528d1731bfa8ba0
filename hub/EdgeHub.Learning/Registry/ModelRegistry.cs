using System.Security.Cryptography;
using EdgeHub.Contracts;
using EdgeHub.Learning.Evaluation;
using EdgeHub.Learning.Export;
using EdgeHub.Learning.Promotion;
using EdgeHub.Learning.Training;

namespace EdgeHub.Learning.Registry;

/// <summary>What to register: a trained model, its results and where it came from.</summary>
public sealed record ModelRegistration
{
    public required string Region { get; init; }
    public required TrainingResult Training { get; init; }
    public required long DatasetVersion { get; init; }
    public RegisteredModel? Parent { get; init; }
    public ClassificationMetrics? Metrics { get; init; }
    public ClassificationMetrics? ParentMetrics { get; init; }
    public GateDecision? Gate { get; init; }
    public string? HoldoutId { get; init; }
    public string CreatedBy { get; init; } = "hub";
}

/// <summary>
/// The model registry: numbers versions per region, exports ONNX with lineage metadata, hashes and signs the bytes with the
/// hub's ECDSA P-256 key, stores both through <see cref="IModelRegistryStore"/>, and reads models back for warm starts.
/// </summary>
public sealed class ModelRegistry
{
    private const int MaxVersionAttempts = 100;
    private readonly ECDsa _signingKey;
    private readonly TimeProvider _time;

    /// <summary>Creates a registry over <paramref name="store"/> that signs with <paramref name="signingKey"/> (P-256, private).</summary>
    public ModelRegistry(IModelRegistryStore store, ECDsa signingKey, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(signingKey);
        Store = store;
        _signingKey = signingKey;
        _time = time ?? TimeProvider.System;
    }

    public IModelRegistryStore Store { get; }

    /// <summary>
    /// Registers a trained model with status approved or rejected by its gate decision (approved when no gate ran).
    /// Returns the record, including version, SHA-256 and signature.
    /// </summary>
    public async Task<(RegisteredModel Model, byte[] Onnx)> RegisterAsync(ModelRegistration registration, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(registration);
        var parent = registration.Parent;
        var ancestors = parent is null ? [] : await AncestorVersionsAsync(parent.Version, cancellationToken).ConfigureAwait(false);
        var mode = registration.Training.Mode;
        if (mode == TrainingMode.Differential && parent is null)
        {
            throw new ArgumentException("a differential model needs its parent's registry record", nameof(registration));
        }

        var next = await NextNumberAsync(registration.Region, cancellationToken).ConfigureAwait(false);
        for (var attempt = 0; attempt < MaxVersionAttempts; attempt++, next++)
        {
            var version = ModelVersions.Format(registration.Region, next);
            var info = new ModelExportInfo
            {
                ModelVersion = version,
                Region = registration.Region,
                Mode = mode,
                DatasetVersion = registration.DatasetVersion,
                ParentVersion = parent?.Version,
                BaseDatasetVersion = mode == TrainingMode.Differential ? parent!.DatasetVersion : null,
                HoldoutId = registration.HoldoutId,
                Ancestors = ancestors,
            };
            var onnx = ModelExporter.ToOnnx(registration.Training.Model, info);
            var record = new RegisteredModel
            {
                Version = version,
                Region = registration.Region,
                ParentVersion = parent?.Version,
                TrainingMode = ModelExporter.ModeName(mode),
                DatasetVersion = registration.DatasetVersion,
                BaseDatasetVersion = info.BaseDatasetVersion,
                ChainLength = mode == TrainingMode.Full ? 0 : parent!.ChainLength + 1,
                TrainedRows = registration.Training.TrainRows,
                DurationMs = (long)registration.Training.Duration.TotalMilliseconds,
                FeatureSchemaId = FeatureSchema.Id,
                Architecture = registration.Training.Model.Architecture,
                HoldoutId = registration.HoldoutId,
                Sha256 = ModelSignature.Sha256Hex(onnx),
                Signature = ModelSignature.Sign(onnx, _signingKey),
                SizeBytes = onnx.Length,
                Status = registration.Gate is { Promote: false } ? ModelStatus.Rejected : ModelStatus.Approved,
                Metrics = registration.Metrics,
                ParentMetrics = registration.ParentMetrics,
                Gate = registration.Gate,
                Lineage = ModelExporter.Lineage(info),
                CreatedAt = _time.GetUtcNow(),
                CreatedBy = registration.CreatedBy,
            };
            if (await Store.AddAsync(record, onnx, cancellationToken).ConfigureAwait(false))
            {
                return (record, onnx);
            }
        }

        throw new InvalidOperationException(
            $"could not allocate a model version for region {registration.Region} after {MaxVersionAttempts} attempts; is another writer looping?");
    }

    /// <summary>The model's weights, read back from its registered ONNX bytes (after checking their SHA-256).</summary>
    /// <exception cref="InvalidOperationException">Unknown version, or bytes that do not match the registry's hash.</exception>
    public async Task<MlpModel> LoadModelAsync(string version, CancellationToken cancellationToken)
    {
        var record = await Store.GetAsync(version, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"model {version} is not in the registry");
        var bytes = await Store.GetOnnxAsync(version, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"model {version} is registered but its ONNX bytes are missing");
        var sha = ModelSignature.Sha256Hex(bytes);
        if (!string.Equals(sha, record.Sha256, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"model {version}: stored bytes hash to {sha}, the registry says {record.Sha256}; the file was altered or corrupted");
        }

        return OnnxMlpReader.Read(bytes);
    }

    /// <summary>Versions of the ancestors of <paramref name="version"/> including itself, newest first (stops at unknown parents and cycles).</summary>
    public async Task<IReadOnlyList<string>> AncestorVersionsAsync(string version, CancellationToken cancellationToken)
    {
        var chain = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string? current = version;
        while (current is not null && seen.Add(current))
        {
            chain.Add(current);
            var m = await Store.GetAsync(current, cancellationToken).ConfigureAwait(false);
            current = m?.ParentVersion;
        }

        return chain;
    }

    /// <summary>The newest approved model of a region, or null.</summary>
    public async Task<RegisteredModel?> LatestApprovedAsync(string region, CancellationToken cancellationToken)
    {
        foreach (var m in await Store.ListAsync(region, cancellationToken).ConfigureAwait(false))
        {
            if (m.Status == ModelStatus.Approved)
            {
                return m;
            }
        }

        return null;
    }

    private async Task<long> NextNumberAsync(string region, CancellationToken cancellationToken)
    {
        long max = 0;
        foreach (var m in await Store.ListAsync(region, cancellationToken).ConfigureAwait(false))
        {
            if (ModelVersions.Number(m.Version) is { } n && n > max)
            {
                max = n;
            }
        }

        return max + 1;
    }
}
