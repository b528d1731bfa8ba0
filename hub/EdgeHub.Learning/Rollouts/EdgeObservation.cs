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
    /// <summary>Share of windows where the shadowed model agreed with the running model.</summary>
    public double? ShadowAgreement { get; init; }
    /// <summary>The model <see cref="ShadowAgreement"/> concerns (null: <see cref="CandidateVersion"/>).</summary>
    public string? ShadowVersion { get; init; }
    /// <summary>Windows behind <see cref="ShadowAgreement"/>, when known.</summary>
    public long? ShadowWindows { get; init; }
    /// <summary>Last model load or run error, if any.</summary>
    public string? ModelError { get; init; }
    /// <summary>Model the error concerns (null: unknown; then any error after the assignment counts).</summary>
    public string? ModelErrorVersion { get; init; }
    /// <summary>Share of the running model's alerts that clinicians rejected or relabelled.</summary>
    public double? OverrideRate { get; init; }
    /// <summary>Model the override counts concern (null: <see cref="ModelVersion"/>).</summary>
    public string? OverrideModelVersion { get; init; }
    /// <summary>Overridden alerts of <see cref="OverrideModelVersion"/>, when known (with <see cref="OverrideSamples"/> it gives the rate).</summary>
    public int? Overrides { get; init; }
    /// <summary>Alerts behind <see cref="OverrideRate"/> / <see cref="Overrides"/>, when known.</summary>
    public int? OverrideSamples { get; init; }

    /// <summary>The override rate of <paramref name="model"/>, when the edge's counts concern it.</summary>
    public double? OverrideRateOf(string model)
    {
        if ((OverrideModelVersion ?? ModelVersion) != model)
        {
            return null;
        }

        return Overrides is { } n && OverrideSamples is { } samples ? (samples == 0 ? null : (double)n / samples) : OverrideRate;
    }

    /// <summary>
    /// Maps an edge's status message. <paramref name="receivedAt"/> (the hub's clock when it stored the status) replaces the
    /// edge's own timestamp when given, so silence is judged on one clock whatever the edges' clock skew.
    /// </summary>
    public static EdgeObservation FromStatus(EdgeStatus status, DateTimeOffset? receivedAt = null)
    {
        ArgumentNullException.ThrowIfNull(status);
        return new EdgeObservation
        {
            EdgeId = status.EdgeId,
            At = receivedAt ?? status.At,
            Online = status.Online,
            ModelVersion = status.ModelVersion,
            CandidateVersion = status.CandidateVersion,
            ShadowAgreement = status.ShadowAgreement,
            ShadowVersion = status.ShadowVersion,
            ShadowWindows = status.ShadowWindows,
            ModelError = status.LastModelError,
            ModelErrorVersion = status.LastModelErrorVersion,
            OverrideRate = status.OverrideRate,
            OverrideModelVersion = status.OverrideModelVersion,
            Overrides = status.Overrides,
            OverrideSamples = status.OverrideSamples,
        };
    }
}
