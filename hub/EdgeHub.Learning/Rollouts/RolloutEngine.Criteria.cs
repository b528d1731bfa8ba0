namespace EdgeHub.Learning.Rollouts;

/// <summary>Abort criteria: failures, shadow disagreement, clinician overrides, silence, edges that never switch.</summary>
public sealed partial class RolloutEngine
{
    private string? FindAbortReason(RolloutRecord r, DateTimeOffset now)
    {
        var a = r.Plan.Abort;
        var target = r.Plan.ModelVersion;
        var failed = new List<string>();
        string? firstFailure = null;
        foreach (var (edge, assignedAt) in r.Assigned)
        {
            _s.Edges.TryGetValue(edge, out var track);
            var o = track?.Last;
            var lastSeen = track is null ? assignedAt : (track.LastSeen > assignedAt ? track.LastSeen : assignedAt);
            if (now - lastSeen > a.SilentTimeout)
            {
                return F($"edge {edge} silent for {now - lastSeen} (limit {a.SilentTimeout}){(track is { Online: false } ? ", offline" : "")}");
            }

            if (o is null || o.At < assignedAt && o.At != default)
            {
                // Nothing reported since the assignment yet: only silence and activation time can judge it.
                if (now - assignedAt > a.ActivationTimeout)
                {
                    return F($"edge {edge} has not reported {target} within {a.ActivationTimeout} of its assignment");
                }

                continue;
            }

            // An error naming another model is not this rollout's; an unattributed one counts unless it predates the assignment.
            if (o.ModelError is { } err
                && (o.ModelErrorVersion == target
                    || o.ModelErrorVersion is null && !(r.ErrorAtAssignment.TryGetValue(edge, out var before) && before == err)))
            {
                failed.Add(edge);
                firstFailure ??= F($"edge {edge} failed to load or run {target}: {err}");
            }

            if (o.CandidateVersion == target && o.ShadowAgreement is { } agreement && 1 - agreement > a.MaxShadowDisagreement)
            {
                return F($"edge {edge}: shadow disagreement {F2(1 - agreement)} above {F2(a.MaxShadowDisagreement)}");
            }

            if (o.ModelVersion == target && o.OverrideRate is { } rate && rate > a.MaxOverrideRate
                && (o.OverrideSamples is null || o.OverrideSamples >= a.MinOverrideSamples))
            {
                return F($"edge {edge}: clinicians overrode {F2(rate)} of alerts, above {F2(a.MaxOverrideRate)}");
            }

            if (o.ModelVersion != target && now - assignedAt > a.ActivationTimeout)
            {
                return F($"edge {edge} still runs {o.ModelVersion ?? "(no model)"} {a.ActivationTimeout} after being assigned {target}");
            }
        }

        if (failed.Count > a.MaxFailedEdges)
        {
            return failed.Count == 1 ? firstFailure : F($"{failed.Count} edges failed on {target} ({string.Join(", ", failed)}); first: {firstFailure}");
        }

        return null;
    }
}
