using System.Globalization;
using EdgeHub.Contracts;
using EdgeHub.Learning.Training;
using EdgeHub.Onnx;

namespace EdgeHub.Learning.Export;

/// <summary>What goes into a trained model's ONNX <c>metadata_props</c> besides the weights.</summary>
public sealed record ModelExportInfo
{
    public required string ModelVersion { get; init; }
    public required string Region { get; init; }
    public required TrainingMode Mode { get; init; }
    public required long DatasetVersion { get; init; }
    public string? ParentVersion { get; init; }
    /// <summary>For a differential model: the parent's dataset version (rows after it were new).</summary>
    public long? BaseDatasetVersion { get; init; }
    /// <summary>Holdout definition id the model was gated on.</summary>
    public string? HoldoutId { get; init; }
    /// <summary>Ancestors, newest first (parent, grandparent, …), for the compact lineage string.</summary>
    public IReadOnlyList<string> Ancestors { get; init; } = [];
}

/// <summary>
/// Writes a trained <see cref="MlpModel"/> as ONNX through <see cref="OnnxModelFactory"/> (standardisation inside the graph)
/// with EdgeHub's metadata: model version, feature schema id, parent, dataset versions, training mode and lineage.
/// </summary>
public static class ModelExporter
{
    /// <summary>metadata_props key: region the model was trained for.</summary>
    public const string RegionKey = "edgehub.region";

    /// <summary>metadata_props key: parent model version (absent for a first model).</summary>
    public const string ParentKey = "edgehub.parent";

    /// <summary>metadata_props key: dataset version trained up to.</summary>
    public const string DatasetVersionKey = "edgehub.dataset_version";

    /// <summary>metadata_props key: "full" or "differential".</summary>
    public const string TrainingModeKey = "edgehub.training_mode";

    /// <summary>metadata_props key: holdout definition id.</summary>
    public const string HoldoutKey = "edgehub.holdout";

    /// <summary>The ONNX bytes of <paramref name="model"/> with metadata from <paramref name="info"/>.</summary>
    public static byte[] ToOnnx(MlpModel model, ModelExportInfo info)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(info);
        var layers = new DenseLayer[model.Layers.Count];
        for (var i = 0; i < layers.Length; i++)
        {
            var l = model.Layers[i];
            layers[i] = new DenseLayer(l.Inputs, l.Outputs, l.Weights, l.Bias);
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [OnnxMetadataKeys.ModelVersion] = info.ModelVersion,
            [OnnxMetadataKeys.FeatureSchemaId] = FeatureSchema.Id,
            [OnnxMetadataKeys.ClassNames] = string.Join(',', RhythmClasses.Names),
            [OnnxMetadataKeys.Lineage] = Lineage(info),
            [RegionKey] = info.Region,
            [DatasetVersionKey] = info.DatasetVersion.ToString(CultureInfo.InvariantCulture),
            [TrainingModeKey] = ModeName(info.Mode),
        };
        if (info.ParentVersion is { } parent)
        {
            metadata[ParentKey] = parent;
        }

        if (info.HoldoutId is { } holdout)
        {
            metadata[HoldoutKey] = holdout;
        }

        return OnnxModelFactory.CreateMlpClassifier(new MlpWeights(model.Mean, model.Std, layers), metadata);
    }

    /// <summary>"full" or "differential" (the catalog's and metadata's spelling).</summary>
    public static string ModeName(TrainingMode mode) => mode == TrainingMode.Full ? "full" : "differential";

    /// <summary>Parses <see cref="ModeName"/>'s output.</summary>
    public static TrainingMode ParseMode(string value) => value switch
    {
        "full" => TrainingMode.Full,
        "differential" => TrainingMode.Differential,
        _ => throw new FormatException($"training mode '{value}' is neither \"full\" nor \"differential\""),
    };

    /// <summary>
    /// Compact lineage: "eu-7 differential on eu@v42 since v40 ← eu-6 ← eu-5", newest first: this model, its training data, then its ancestors.
    /// </summary>
    public static string Lineage(ModelExportInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        var data = info.BaseDatasetVersion is { } since
            ? string.Create(CultureInfo.InvariantCulture, $"{info.Region}@v{info.DatasetVersion} since v{since}")
            : string.Create(CultureInfo.InvariantCulture, $"{info.Region}@v{info.DatasetVersion}");
        var parts = new List<string> { $"{info.ModelVersion} {ModeName(info.Mode)} on {data}" };
        parts.AddRange(info.Ancestors);
        return string.Join(" ← ", parts);
    }
}
