using EdgeHub.Contracts;
using EdgeHub.Learning.Registry;

namespace EdgeHub.Learning.Rollouts;

/// <summary>
/// A model assignment the hub must publish, retained: to one edge (<see cref="EdgeId"/> set; overrides the region's) or to the
/// whole region. <see cref="ModelVersion"/> null means "no model": clear the retained assignment (publish an empty retained message).
/// </summary>
public sealed record AssignmentCommand
{
    public required string Region { get; init; }
    public string? EdgeId { get; init; }
    public string? ModelVersion { get; init; }
    public string? RolloutId { get; init; }
    /// <summary>Windows to shadow before swapping (0 for rollbacks and pins: swap at once).</summary>
    public int ShadowWindows { get; init; }
    /// <summary>Why (canary, wave 2, rollback: …, pinned, unpinned, complete).</summary>
    public required string Reason { get; init; }

    /// <summary>The retained topic to publish on.</summary>
    public string Topic => EdgeId is null ? Topics.RegionModel(Region) : Topics.EdgeModel(EdgeId);

    /// <summary>The assignment message for <paramref name="model"/> (which must be <see cref="ModelVersion"/>).</summary>
    public ModelAssignment ToAssignment(RegisteredModel model, string? url, DateTimeOffset issuedAt, string? modelBase64 = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Version != ModelVersion)
        {
            throw new ArgumentException($"command assigns {ModelVersion ?? "(no model)"} but model {model.Version} was given", nameof(model));
        }

        return new ModelAssignment
        {
            ModelVersion = model.Version,
            Region = Region,
            EdgeId = EdgeId,
            Sha256 = model.Sha256,
            Signature = model.Signature,
            FeatureSchemaId = model.FeatureSchemaId,
            Url = url,
            ModelBase64 = modelBase64,
            RolloutId = RolloutId,
            ShadowWindows = ShadowWindows,
            IssuedAt = issuedAt,
        };
    }
}
