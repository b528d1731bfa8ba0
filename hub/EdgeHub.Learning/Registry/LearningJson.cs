using System.Text.Json;
using System.Text.Json.Serialization;
using EdgeHub.Learning.Evaluation;
using EdgeHub.Learning.Promotion;
using EdgeHub.Learning.Rollouts;

namespace EdgeHub.Learning.Registry;

/// <summary>
/// Source-generated JSON for the learning records the hub stores or serves (metrics_json, gate_json, registry files, rollout
/// state). NaN is written as "NaN" (an undefined metric, e.g. sensitivity of a class without holdout windows).
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(RegisteredModel))]
[JsonSerializable(typeof(ClassificationMetrics))]
[JsonSerializable(typeof(GateDecision))]
[JsonSerializable(typeof(RolloutSnapshot))]
[JsonSerializable(typeof(RolloutPlan))]
public sealed partial class LearningJson : JsonSerializerContext;
