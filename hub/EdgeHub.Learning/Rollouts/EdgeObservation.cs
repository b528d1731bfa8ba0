using EdgeHub.Contracts;

namespace EdgeHub.Learning.Rollouts;

/// <summary>What an edge last reported (from its status messages) that a rollout judges it by.</summary>
public sealed record EdgeObservation
{
    public required string EdgeId { get; init; }
    /// <summary>When the status was produced (or received).</summary>
    public DateTimeOffset At { get; init; }
    /// <summary>False for the will message / an explicit offline status.</summary>
    public bool Online { get; init; } = true;
    /// <summary>Model the edge runs.</summary>
    public string? ModelVersion { get; init; }
    /// <summary>Model the edge shadows (candidate of an assignment).</summary>
    public string? CandidateVersion { get; init; }
    /// <summary>Share of windows where the candidate agreed with the running model.</summary>
    public double? ShadowAgreement { get; init; }
    /// <summary>Last model load or run error, if any.</summary>
    public string? ModelError { get; init; }
    /// <summary>Model the error concerns (null: unknown; then any error after the assignment counts).</summary>
    public string? ModelErrorVersion { get; init; }
    /// <summary>Share of the running model's alerts that clinicians rejected or relabelled.</summary>
    public double? OverrideRate { get; init; }
    /// <summary>Alerts behind <see cref="OverrideRate"/>, when known.</summary>
    public int? OverrideSamples { get; init; }

    /// <summary>Maps an edge's status message.</summary>
    public static EdgeObservation FromStatus(EdgeStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        return new EdgeObservation
        {
            EdgeId = status.EdgeId,
            At = status.At,
            Online = status.Online,
            ModelVersion = status.ModelVersion,
            CandidateVersion = status.CandidateVersion,
            ShadowAgreement = status.ShadowAgreement,
            ModelError = status.LastModelError,
            OverrideRate = status.OverrideRate,
        };
    }
}
