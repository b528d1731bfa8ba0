namespace EdgeHub.Learning.Rollouts;

/// <summary>
/// Abort criteria. Failing edges (load/run failures of the model, silence past the timeout, no switch within the activation
/// time) are counted against <see cref="AbortCriteria.MaxFailedEdges"/>; shadow disagreement and clinician overrides abort at
/// once, each judged only on a sample of the stated size.
/// </summary>
public sealed partial class RolloutEngine
{
    private string? FindAbortReason(RolloutRecord r, DateTimeOffset now)
    {
        var a = r.Plan.Abort;
        var target = r.Plan.ModelVersion;
        var minShadow = Math.Min(a.MinShadowWindows, Math.Max(1, r.Plan.ShadowWindows));
        var failed = new List<string>();
        string? firstFailure = null;
        foreach (var (edge, assignedAt) in r.Assigned)
        {
            _s.Edges.TryGetValue(edge, out var track);
            var o = track?.Last;
            var lastSeen = track is null ? assignedAt : (track.LastSeen > assignedAt ? track.LastSeen : assignedAt);
            string? failure = null;
            if (now - lastSeen > a.SilentTimeout)
            {
                failure = F($"edge {edge} silent for {now - lastSeen} (limit {a.SilentTimeout}){(track is { Online: false } ? ", offline" : "")}");
            }
            else if (o is null || o.At < assignedAt && o.At != default)
            {
                // Nothing reported since the assignment yet: only silence and activation time can judge it.
                if (now - assignedAt > a.ActivationTimeout)
                {
                    failure = F($"edge {edge} has not reported {target} within {a.ActivationTimeout} of its assignment");
                }
            }
            else
            {
                if (FailureOf(r, edge, o, target) is { } err)
                {
                    failure = F($"edge {edge} failed to load or run {target}: {err}");
                }
                else if (o.ModelVersion != target && now - assignedAt > a.ActivationTimeout)
                {
                    failure = F($"edge {edge} still runs {o.ModelVersion ?? "(no model)"} {a.ActivationTimeout} after being assigned {target}");
                }

                if ((o.ShadowVersion ?? o.CandidateVersion) == target && o.ShadowAgreement is { } agreement
                    && 1 - agreement > a.MaxShadowDisagreement && (o.ShadowWindows is null || o.ShadowWindows >= minShadow))
                {
                    return F($"edge {edge}: shadow disagreement {F2(1 - agreement)} above {F2(a.MaxShadowDisagreement)}{Sample(o.ShadowWindows, "windows")}");
                }

                if (o.OverrideRateOf(target) is { } rate && rate > a.MaxOverrideRate
                    && (o.OverrideSamples is null || o.OverrideSamples >= a.MinOverrideSamples))
                {
                    return F($"edge {edge}: clinicians overrode {F2(rate)} of {target}'s alerts, above {F2(a.MaxOverrideRate)}{Sample(o.OverrideSamples, "alerts")}");
                }
            }

            if (failure is not null)
            {
                failed.Add(edge);
                firstFailure ??= failure;
            }
        }

        if (failed.Count > a.MaxFailedEdges)
        {
            failed.Sort(StringComparer.Ordinal);
            return failed.Count == 1 ? firstFailure : F($"{failed.Count} edges failing on {target} ({string.Join(", ", failed)}; limit {a.MaxFailedEdges}); first: {firstFailure}");
        }

        return null;
    }

    /// <summary>
    /// The edge's model error when it is this rollout's: one naming the target, or an unattributed one that was not there at
    /// assignment time. An error naming another model is not this rollout's.
    /// </summary>
    private static string? FailureOf(RolloutRecord r, string edge, EdgeObservation o, string target)
    {
        if (o.ModelError is not { } err)
        {
            return null;
        }

        var old = r.ErrorAtAssignment.TryGetValue(edge, out var before) && before == err;
        return o.ModelErrorVersion == target && !old || o.ModelErrorVersion is null && !old ? err : null;
    }

    private static string Sample(long? n, string unit) => n is { } v ? F($" over {v} {unit}") : "";
}
