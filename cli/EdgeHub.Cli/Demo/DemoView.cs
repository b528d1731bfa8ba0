using System.Globalization;

namespace EdgeHub.Cli.Demo;

/// <summary>The live terminal view: one block per refresh with the fleet, the edges and the hub's learning loop.</summary>
internal sealed class DemoView(TextWriter output)
{
    private DemoSnapshot? _previous;

    public void Render(DemoSnapshot s)
    {
        var seconds = s.Elapsed.TotalSeconds;
        var dt = _previous is null ? 0 : (s.Elapsed - _previous.Elapsed).TotalSeconds;
        var versions = s.DatasetVersions();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"[{seconds,6:0}s] models {s.ModelCount}  rollouts {s.RolloutCount}  datasets {string.Join(" ", versions.Select(kv => $"{kv.Key}:v{kv.Value}"))}{(s.ApiError is null ? "" : "  hub API: " + s.ApiError)}"));
        foreach (var e in s.Edges)
        {
            var before = _previous?.Edges.FirstOrDefault(p => p.EdgeId == e.EdgeId);
            var fps = before is null || dt <= 0 ? 0 : (e.FramesProcessed - before.FramesProcessed) / dt;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"    {e.EdgeId,-11} {fps,7:0} frames/s  alerts {e.Alerts,5}  labels {e.Labels,4}  deltas {e.DeltasAcked}/{e.DeltasSent} acked  pending rows {e.PendingRows,5}  model {e.ModelVersion ?? "(safety net only)"}{(e.CandidateVersion is null ? "" : " shadow " + e.CandidateVersion)}  feedback p50 {e.P50Ms:0.0} ms p99 {e.P99Ms:0.0} ms"));
        }

        _previous = s;
    }
}
