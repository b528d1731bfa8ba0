using EdgeHub.Contracts;
using EdgeHub.Simulator;

namespace EdgeHub.Cli.Demo;

/// <summary>
/// Scores the edges' alerts against the simulator's ground truth. PPV: raised alerts a clinician who knows the truth
/// confirms (<see cref="AlertJudge"/>). Sensitivity: episodes of an alertable kind, finished at least 20 s before the end,
/// that got an alert of a kind they justify on their device between their start and 20 s after their end.
/// </summary>
internal sealed class AlertScore
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(20);
    private long _alerts, _confirmed, _episodes, _detected;

    public double? Ppv => _alerts == 0 ? null : Math.Round((double)_confirmed / _alerts, 4);

    public double? Sensitivity => _episodes == 0 ? null : Math.Round((double)_detected / _episodes, 4);

    public void Add(RegionRig rig)
    {
        var truth = rig.Fleet.Truth;
        var raised = rig.Agent.Alerts.History().Where(a => a.State == "raised").ToList();
        foreach (var alert in raised)
        {
            if (AlertJudge.Judge(alert, truth, TimeSpan.FromSeconds(10), relabel: false) is { } answer)
            {
                _alerts++;
                _confirmed += answer.Action == "confirm" ? 1 : 0;
            }
        }

        var end = DateTimeOffset.UtcNow - Grace;
        foreach (var device in truth.DeviceIds)
        {
            foreach (var episode in truth.EpisodesBetween(device, truth.Start, end))
            {
                if (episode.End > end || episode.End - episode.Start < TimeSpan.FromSeconds(10) || !Alertable(episode.Kind))
                {
                    continue;
                }

                _episodes++;
                foreach (var alert in raised)
                {
                    if (alert.DeviceId == device && alert.StartedAt >= episode.Start - TimeSpan.FromSeconds(5) && alert.StartedAt <= episode.End + Grace
                        && Array.IndexOf(AlertJudge.Justifying(alert.Kind), episode.Kind) >= 0)
                    {
                        _detected++;
                        break;
                    }
                }
            }
        }
    }

    private static bool Alertable(EpisodeKind kind) =>
        kind is EpisodeKind.AtrialFibrillation or EpisodeKind.VentricularTachycardia or EpisodeKind.Bradycardia or EpisodeKind.Tachycardia
            or EpisodeKind.Desaturation;
}
