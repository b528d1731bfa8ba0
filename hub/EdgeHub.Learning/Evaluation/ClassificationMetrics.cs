using EdgeHub.Contracts;

namespace EdgeHub.Learning.Evaluation;

/// <summary>One class's one-vs-rest scores on a holdout. NaN where undefined (e.g. sensitivity with no positives).</summary>
public sealed record ClassMetrics
{
    public required string Class { get; init; }
    /// <summary>Holdout rows labelled with this class.</summary>
    public int Support { get; init; }
    /// <summary>Recall: TP / (TP + FN), predicting the arg-max class.</summary>
    public double Sensitivity { get; init; }
    /// <summary>Precision (positive predictive value): TP / (TP + FP).</summary>
    public double Ppv { get; init; }
    public double F1 { get; init; }
    /// <summary>Area under the ROC curve of this class's probability against all other classes.</summary>
    public double Auroc { get; init; }
}

/// <summary>How a model did on a holdout: per class and overall.</summary>
public sealed record ClassificationMetrics
{
    /// <summary>Rows evaluated.</summary>
    public int Rows { get; init; }
    /// <summary>Which holdout (HoldoutDefinition.Id) at which dataset version.</summary>
    public string HoldoutId { get; init; } = "";
    public long DatasetVersion { get; init; }
    public double Accuracy { get; init; }
    /// <summary>Mean of the defined per-class AUROCs.</summary>
    public double MacroAuroc { get; init; }
    public double MacroF1 { get; init; }
    /// <summary>Expected calibration error of the top-class probability (15 equal-width bins).</summary>
    public double Ece { get; init; }
    /// <summary>Mean cross-entropy (log loss).</summary>
    public double LogLoss { get; init; }
    public required IReadOnlyList<ClassMetrics> Classes { get; init; }

    /// <summary>The scores of class <paramref name="c"/>.</summary>
    public ClassMetrics For(RhythmClass c) => Classes[(int)c];
}
