using System.Globalization;
using EdgeHub.Contracts;
using EdgeHub.Learning.Evaluation;

namespace EdgeHub.Learning.Promotion;

/// <summary>Gate settings.</summary>
public sealed record GateOptions
{
    /// <summary>How much a critical class's sensitivity may drop against the parent (absolute, 0.02 = 2 points).</summary>
    public double CriticalSensitivityTolerance { get; init; } = 0.02;

    /// <summary>How much macro AUROC may drop against the parent.</summary>
    public double MacroAurocTolerance { get; init; } = 0.01;

    /// <summary>Holdout windows a critical class needs before its sensitivity is trusted; fewer blocks promotion.</summary>
    public int MinCriticalSupport { get; init; } = 20;

    /// <summary>Floor on critical-class sensitivity for a model without parent (the first of a region).</summary>
    public double MinimumCriticalSensitivity { get; init; }

    /// <summary>Classes whose sensitivity is guarded (af and vt).</summary>
    public IReadOnlyList<RhythmClass> CriticalClasses { get; init; } = RhythmClasses.Critical;
}

/// <summary>One comparison the gate made.</summary>
public sealed record GateCheck(string Name, double Candidate, double? Parent, double Threshold, bool Passed, string Detail);

/// <summary>The gate's verdict with every check behind it (stored with the model as gate_json).</summary>
public sealed record GateDecision
{
    public required bool Promote { get; init; }
    /// <summary>One line: why it passed or what blocked it.</summary>
    public required string Summary { get; init; }
    public required IReadOnlyList<GateCheck> Checks { get; init; }
}

/// <summary>
/// Promotes a candidate only if, on the same fixed holdout, no critical class loses more sensitivity against the parent than
/// the tolerance and macro AUROC does not drop beyond its tolerance. Fails closed: too few critical windows to judge, or metrics
/// from different holdouts, block promotion with a reason that says what to do.
/// </summary>
public static class PromotionGate
{
    /// <summary>Judges <paramref name="candidate"/> against <paramref name="parent"/> (null for a region's first model).</summary>
    public static GateDecision Evaluate(ClassificationMetrics candidate, ClassificationMetrics? parent, GateOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        options ??= new GateOptions();
        var checks = new List<GateCheck>();
        if (parent is not null && (parent.HoldoutId != candidate.HoldoutId || parent.Rows != candidate.Rows))
        {
            checks.Add(new GateCheck("same-holdout", candidate.Rows, parent.Rows, 0, false,
                $"candidate was evaluated on {candidate.HoldoutId} ({candidate.Rows} rows), parent on {parent.HoldoutId} ({parent.Rows} rows); re-evaluate the parent on the candidate's holdout"));
        }

        foreach (var c in options.CriticalClasses)
        {
            var name = RhythmClasses.Name(c);
            var cand = candidate.For(c);
            if (cand.Support < options.MinCriticalSupport)
            {
                checks.Add(new GateCheck($"{name}-support", cand.Support, null, options.MinCriticalSupport, false,
                    $"holdout has {cand.Support} {name} windows; the gate needs ≥ {options.MinCriticalSupport} to judge {name} sensitivity (collect more labels or lower MinCriticalSupport)"));
                continue;
            }

            if (parent is null)
            {
                var ok = cand.Sensitivity >= options.MinimumCriticalSensitivity;
                checks.Add(new GateCheck($"{name}-sensitivity", cand.Sensitivity, null, options.MinimumCriticalSensitivity, ok,
                    F($"{name} sensitivity {cand.Sensitivity:0.000} {(ok ? "≥" : "<")} floor {options.MinimumCriticalSensitivity:0.000} (no parent)")));
                continue;
            }

            var par = parent.For(c).Sensitivity;
            var limit = par - options.CriticalSensitivityTolerance;
            var passed = cand.Sensitivity >= limit - 1e-12;
            checks.Add(new GateCheck($"{name}-sensitivity", cand.Sensitivity, par, limit, passed,
                F($"{name} sensitivity {cand.Sensitivity:0.000} vs parent {par:0.000} (may drop to {limit:0.000})")));
        }

        if (parent is not null && !double.IsNaN(parent.MacroAuroc))
        {
            var limit = parent.MacroAuroc - options.MacroAurocTolerance;
            var passed = candidate.MacroAuroc >= limit - 1e-12;
            checks.Add(new GateCheck("macro-auroc", candidate.MacroAuroc, parent.MacroAuroc, limit, passed,
                F($"macro AUROC {candidate.MacroAuroc:0.0000} vs parent {parent.MacroAuroc:0.0000} (may drop to {limit:0.0000})")));
        }

        var failed = checks.FindAll(c => !c.Passed);
        var summary = failed.Count == 0
            ? parent is null ? "promoted: first model of the region, critical classes above their floor" : "promoted: no regression on critical classes"
            : "blocked: " + string.Join("; ", failed.ConvertAll(c => c.Detail));
        return new GateDecision { Promote = failed.Count == 0, Summary = summary, Checks = checks };
    }

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
