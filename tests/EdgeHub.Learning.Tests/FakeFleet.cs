using EdgeHub.Learning.Rollouts;

namespace EdgeHub.Learning.Tests;

/// <summary>
/// Edges that behave like the agent: the per-edge retained assignment overrides the region's; an edge switches to its assigned
/// model unless it is set to fail on it (then it reports the error and keeps its model); silent edges report nothing.
/// </summary>
internal sealed class FakeFleet
{
    private string? _regionModel;

    public FakeFleet(string regionModel, params string[] edges)
    {
        _regionModel = regionModel;
        foreach (var e in edges)
        {
            Edges[e] = new Edge { Running = regionModel };
        }
    }

    public Dictionary<string, Edge> Edges { get; } = new(StringComparer.Ordinal);

    public List<AssignmentCommand> Published { get; } = [];

    public void Apply(IReadOnlyList<AssignmentCommand> commands)
    {
        foreach (var c in commands)
        {
            Published.Add(c);
            if (c.EdgeId is null)
            {
                _regionModel = c.ModelVersion;
            }
            else
            {
                Edges[c.EdgeId].Assigned = c.ModelVersion;
            }
        }

        foreach (var edge in Edges.Values)
        {
            var desired = edge.Assigned ?? _regionModel;
            if (desired is null || desired == edge.Running)
            {
                continue;
            }

            if (edge.FailsOn.Contains(desired))
            {
                edge.Error = $"ORT refused {desired}: invalid graph";
                edge.ErrorVersion = desired;
            }
            else
            {
                edge.Running = desired;
            }
        }
    }

    public List<EdgeObservation> Observe(DateTimeOffset now)
    {
        var list = new List<EdgeObservation>();
        foreach (var (id, e) in Edges)
        {
            if (e.Silent)
            {
                continue;
            }

            list.Add(new EdgeObservation
            {
                EdgeId = id,
                At = now,
                ModelVersion = e.Running,
                CandidateVersion = e.Candidate,
                ShadowAgreement = e.ShadowAgreement,
                ShadowVersion = e.ShadowVersion,
                ShadowWindows = e.ShadowWindows,
                ModelError = e.Error,
                ModelErrorVersion = e.ErrorVersion,
                OverrideRate = e.OverrideRate,
                OverrideSamples = e.OverrideSamples,
                OverrideModelVersion = e.OverrideModelVersion,
                Overrides = e.Overrides,
            });
        }

        return list;
    }

    /// <summary>Ticks the engine every <paramref name="step"/> from <paramref name="start"/> until <paramref name="until"/> or the rollout ends.</summary>
    public DateTimeOffset Run(RolloutEngine engine, DateTimeOffset start, TimeSpan step, DateTimeOffset until, Func<DateTimeOffset, bool>? check = null)
    {
        var now = start;
        while (now <= until)
        {
            Apply(engine.Tick(now, Observe(now)));
            if (check?.Invoke(now) == false || engine.Active is null)
            {
                break;
            }

            now += step;
        }

        return now;
    }

    public sealed class Edge
    {
        public string? Running { get; set; }
        public string? Assigned { get; set; }
        public HashSet<string> FailsOn { get; } = new(StringComparer.Ordinal);
        public string? Error { get; set; }
        public string? ErrorVersion { get; set; }
        public bool Silent { get; set; }
        public string? Candidate { get; set; }
        public double? ShadowAgreement { get; set; }
        public double? OverrideRate { get; set; }
        public int? OverrideSamples { get; set; }
        public string? ShadowVersion { get; set; }
        public long? ShadowWindows { get; set; }
        public string? OverrideModelVersion { get; set; }
        public int? Overrides { get; set; }
    }
}
