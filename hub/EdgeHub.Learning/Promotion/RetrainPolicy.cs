using EdgeHub.Learning.Training;

namespace EdgeHub.Learning.Promotion;

/// <summary>When to retrain a region, and how.</summary>
public sealed record RetrainPolicyOptions
{
    /// <summary>Retrain when at least this many newly labelled windows arrived since the current model's dataset version.</summary>
    public long NewLabelledRowsThreshold { get; init; } = 5_000;

    /// <summary>Every K-th generation is a full retrain, bounding how far a chain of differential models can drift.</summary>
    public int FullRetrainEvery { get; init; } = 10;
}

/// <summary>What the policy knows about a region at one moment.</summary>
public sealed record RetrainState
{
    /// <summary>The region's current model exists (else the first retrain is full).</summary>
    public bool HasParent { get; init; }

    /// <summary>Labelled windows added (or newly labelled) since the parent's dataset version.</summary>
    public long NewLabelledRows { get; init; }

    /// <summary>Differential generations since the last full model (the parent's chain length).</summary>
    public int DifferentialGenerationsSinceFull { get; init; }

    /// <summary>An operator asked for a retrain (optionally in a given mode).</summary>
    public bool CommandRequested { get; init; }

    public TrainingMode? RequestedMode { get; init; }

    /// <summary>The parent was trained on another feature schema or holdout definition; it cannot be warm-started from.</summary>
    public bool ParentIncompatible { get; init; }
}

/// <summary>The policy's answer.</summary>
public sealed record RetrainDecision(bool Retrain, TrainingMode Mode, string Reason);

/// <summary>Retrain when N new labelled rows arrived or on command; differential from the parent, full every K generations.</summary>
public static class RetrainPolicy
{
    public static RetrainDecision Decide(RetrainState state, RetrainPolicyOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        options ??= new RetrainPolicyOptions();
        var threshold = state.NewLabelledRows >= options.NewLabelledRowsThreshold;
        if (!state.CommandRequested && !threshold)
        {
            return new RetrainDecision(false, TrainingMode.Differential,
                $"waiting: {state.NewLabelledRows} of {options.NewLabelledRowsThreshold} new labelled rows");
        }

        var why = state.CommandRequested ? "operator command" : $"{state.NewLabelledRows} new labelled rows";
        if (!state.HasParent)
        {
            return new RetrainDecision(true, TrainingMode.Full, why + "; no parent model: full retrain");
        }

        if (state.ParentIncompatible)
        {
            return new RetrainDecision(true, TrainingMode.Full, why + "; parent uses another schema or holdout: full retrain");
        }

        if (state.RequestedMode is { } requested)
        {
            if (requested == TrainingMode.Differential && state.NewLabelledRows == 0)
            {
                return new RetrainDecision(false, TrainingMode.Differential, "no new labelled rows since the parent; nothing to train differentially");
            }

            return new RetrainDecision(true, requested, why + $"; {ModeText(requested)} retrain requested");
        }

        if (state.DifferentialGenerationsSinceFull + 1 >= options.FullRetrainEvery)
        {
            return new RetrainDecision(true, TrainingMode.Full,
                why + $"; {state.DifferentialGenerationsSinceFull} differential generations since the last full model: periodic full retrain");
        }

        if (state.NewLabelledRows == 0)
        {
            return new RetrainDecision(true, TrainingMode.Full, why + "; no new rows, so a full retrain");
        }

        return new RetrainDecision(true, TrainingMode.Differential, why + "; differential from the parent");
    }

    private static string ModeText(TrainingMode m) => m == TrainingMode.Full ? "full" : "differential";
}
