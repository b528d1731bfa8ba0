namespace EdgeHub.Hub.Options;

/// <summary>Retraining and rollout settings of a hub node.</summary>
public sealed class LearningOptions
{
    /// <summary>Run the retrain scheduler on this node (every node may; the catalog's lease makes one of them do the work).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Retrain a region when this many new labelled rows arrived since its current model's dataset version.</summary>
    public long RetrainMinNewRows { get; set; } = 5000;

    /// <summary>How often the scheduler looks at the regions, in seconds.</summary>
    public double CheckIntervalSeconds { get; set; } = 10;

    /// <summary>After this many differential models in a chain, the next model is a full retrain (bounds drift).</summary>
    public int FullRetrainEvery { get; set; } = 5;

    /// <summary>Largest drop in critical-class sensitivity against the parent the gate tolerates.</summary>
    public double SensitivityTolerance { get; set; } = 0.01;

    /// <summary>Seed of the trainer (determinism).</summary>
    public int Seed { get; set; } = 17;

    /// <summary>How often rollouts are advanced, in seconds.</summary>
    public double RolloutTickSeconds { get; set; } = 1;

    /// <summary>Windows an edge runs a candidate in shadow before swapping.</summary>
    public int ShadowWindows { get; set; } = 50;
}
