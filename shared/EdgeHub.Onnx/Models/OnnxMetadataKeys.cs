namespace EdgeHub.Onnx;

/// <summary>Keys EdgeHub writes into an ONNX model's <c>metadata_props</c>, so the edge can check a model before loading it.</summary>
public static class OnnxMetadataKeys
{
    /// <summary>The registry's model version ("eu-7"); an integer value is also written to <c>ModelProto.model_version</c>.</summary>
    public const string ModelVersion = "model_version";

    /// <summary>Identifier of the feature schema the model's input follows; the edge refuses a model whose schema it does not produce.</summary>
    public const string FeatureSchemaId = "feature_schema_id";

    /// <summary>Where the model came from: parent model, dataset versions (JSON or a compact string, written by the trainer).</summary>
    public const string Lineage = "lineage";

    /// <summary>Network shape, "32-64-32-5"; written by <see cref="OnnxModelFactory"/>.</summary>
    public const string Architecture = "edgehub.architecture";

    /// <summary>Class names in output order, comma-separated; optional.</summary>
    public const string ClassNames = "class_names";
}
