using EdgeHub.Contracts;

namespace EdgeHub.Simulator;

/// <summary>
/// Decides what a clinician who knows the truth says about an alert: confirm when an episode that justifies the alert's kind
/// overlaps the alert's window; otherwise relabel with the true rhythm when there was an abnormal one, else reject.
/// </summary>
public static class AlertJudge
{
    /// <summary>Judges <paramref name="alert"/> against <paramref name="truth"/>; null when the device is not in the run.</summary>
    public static BotAnswer? Judge(AlertMessage alert, GroundTruth truth, TimeSpan lookback, bool relabel)
    {
        ArgumentNullException.ThrowIfNull(alert);
        ArgumentNullException.ThrowIfNull(truth);
        if (!truth.Contains(alert.DeviceId))
        {
            return null;
        }

        var started = alert.StartedAt == default ? DateTimeOffset.UtcNow : alert.StartedAt;
        var until = alert.UpdatedAt > started ? alert.UpdatedAt : started;
        var episodes = truth.EpisodesBetween(alert.DeviceId, started - lookback, until.AddSeconds(1));
        var justified = Justifying(alert.Kind);
        var trueRhythm = RhythmClass.Normal;
        var best = 0;
        foreach (var e in episodes)
        {
            if (Array.IndexOf(justified, e.Kind) >= 0)
            {
                return new BotAnswer(alert.AlertId, alert.DeviceId, alert.Kind, "confirm", null);
            }

            var priority = DeviceSchedule.Priority(e.Kind);
            if (EpisodeKinds.IsRhythm(e.Kind) && priority > best)
            {
                (trueRhythm, best) = (e.Class, priority);
            }
        }

        if (alert.Kind == "normal" && trueRhythm == RhythmClass.Normal)
        {
            return new BotAnswer(alert.AlertId, alert.DeviceId, alert.Kind, "confirm", null);
        }

        return relabel && trueRhythm != RhythmClass.Normal
            ? new BotAnswer(alert.AlertId, alert.DeviceId, alert.Kind, "relabel", RhythmClasses.Name(trueRhythm))
            : new BotAnswer(alert.AlertId, alert.DeviceId, alert.Kind, "reject", null);
    }

    /// <summary>Episode kinds that make an alert of <paramref name="kind"/> right (model classes and safety rules).</summary>
    public static EpisodeKind[] Justifying(string kind) => kind switch
    {
        "af" => [EpisodeKind.AtrialFibrillation],
        "pvc" => [EpisodeKind.Pvc],
        "vt" or "vt_run" => [EpisodeKind.VentricularTachycardia],
        "brady" or "hr_low" => [EpisodeKind.Bradycardia],
        "tachy" => [EpisodeKind.Tachycardia],
        "hr_high" => [EpisodeKind.Tachycardia, EpisodeKind.VentricularTachycardia, EpisodeKind.AtrialFibrillation],
        "spo2_low" => [EpisodeKind.Desaturation],
        "lead_off" => [EpisodeKind.LeadOff],
        _ => [],
    };
}
