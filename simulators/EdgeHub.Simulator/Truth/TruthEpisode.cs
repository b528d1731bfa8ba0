using EdgeHub.Contracts;

namespace EdgeHub.Simulator;

/// <summary>One episode of the ground truth, in wall-clock time (the device's true clock, without simulated skew).</summary>
public sealed record TruthEpisode(string DeviceId, EpisodeKind Kind, DateTimeOffset Start, DateTimeOffset End)
{
    /// <summary>The model class the episode is (Normal for desaturation, motion noise and lead-off).</summary>
    public RhythmClass Class => EpisodeKinds.ToRhythmClass(Kind);
}
