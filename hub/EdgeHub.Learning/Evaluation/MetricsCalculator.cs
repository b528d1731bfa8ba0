using EdgeHub.Contracts;
using EdgeHub.Learning.Data;
using EdgeHub.Learning.Training;

namespace EdgeHub.Learning.Evaluation;

/// <summary>Computes <see cref="ClassificationMetrics"/> from predicted probabilities and true labels.</summary>
public static class MetricsCalculator
{
    /// <summary>Calibration bins for ECE (Guo et al. 2017 use 15).</summary>
    public const int CalibrationBins = 15;

    /// <summary>Evaluates <paramref name="model"/> on the holdout of <paramref name="set"/>.</summary>
    public static ClassificationMetrics EvaluateHoldout(MlpModel model, TrainingSet set) =>
        Evaluate(model, set, set.HoldoutIndices);

    /// <summary>Evaluates <paramref name="model"/> on the given rows of <paramref name="set"/>.</summary>
    public static ClassificationMetrics Evaluate(MlpModel model, TrainingSet set, int[] rows)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(rows);
        var probabilities = model.Predict(set, rows);
        return Compute(probabilities, set.LabelsOf(rows), model.ClassCount) with
        {
            HoldoutId = set.Holdout.Id,
            DatasetVersion = set.DatasetVersion,
        };
    }

    /// <summary>Metrics of [rows × classes] probabilities against labels.</summary>
    public static ClassificationMetrics Compute(ReadOnlySpan<float> probabilities, ReadOnlySpan<int> labels, int classes)
    {
        var n = labels.Length;
        if (probabilities.Length != n * classes)
        {
            throw new ArgumentException($"{n} labels need {n * classes} probabilities; got {probabilities.Length}");
        }

        var tp = new int[classes];
        var fp = new int[classes];
        var support = new int[classes];
        var binCount = new int[CalibrationBins];
        var binConfidence = new double[CalibrationBins];
        var binCorrect = new double[CalibrationBins];
        var correct = 0;
        var logLoss = 0.0;
        for (var i = 0; i < n; i++)
        {
            var y = labels[i];
            if ((uint)y >= (uint)classes)
            {
                throw new ArgumentException($"label {y} at row {i} is outside 0..{classes - 1}", nameof(labels));
            }

            var row = probabilities.Slice(i * classes, classes);
            var best = 0;
            for (var c = 1; c < classes; c++)
            {
                if (row[c] > row[best])
                {
                    best = c;
                }
            }

            support[y]++;
            if (best == y)
            {
                tp[y]++;
                correct++;
            }
            else
            {
                fp[best]++;
            }

            logLoss -= Math.Log(Math.Max(row[y], 1e-12f));
            var bin = Math.Min(CalibrationBins - 1, (int)(row[best] * CalibrationBins));
            binCount[bin]++;
            binConfidence[bin] += row[best];
            binCorrect[bin] += best == y ? 1 : 0;
        }

        var ece = 0.0;
        for (var b = 0; b < CalibrationBins; b++)
        {
            if (binCount[b] > 0)
            {
                ece += Math.Abs(binConfidence[b] - binCorrect[b]) / Math.Max(1, n);
            }
        }

        var perClass = new ClassMetrics[classes];
        double aurocSum = 0, f1Sum = 0;
        int aurocN = 0, f1N = 0;
        var scores = new float[n];
        for (var c = 0; c < classes; c++)
        {
            for (var i = 0; i < n; i++)
            {
                scores[i] = probabilities[(i * classes) + c];
            }

            var auroc = Auroc(scores, labels, c);
            var sens = support[c] > 0 ? (double)tp[c] / support[c] : double.NaN;
            var ppv = tp[c] + fp[c] > 0 ? (double)tp[c] / (tp[c] + fp[c]) : double.NaN;
            var f1 = support[c] + tp[c] + fp[c] > 0 ? 2.0 * tp[c] / (support[c] + tp[c] + fp[c]) : double.NaN;
            perClass[c] = new ClassMetrics
            {
                Class = c < RhythmClasses.Count ? RhythmClasses.Names[c] : c.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Support = support[c],
                Sensitivity = sens,
                Ppv = ppv,
                F1 = f1,
                Auroc = auroc,
            };
            if (!double.IsNaN(auroc))
            {
                aurocSum += auroc;
                aurocN++;
            }

            if (!double.IsNaN(f1) && support[c] > 0)
            {
                f1Sum += f1;
                f1N++;
            }
        }

        return new ClassificationMetrics
        {
            Rows = n,
            Accuracy = n > 0 ? (double)correct / n : double.NaN,
            MacroAuroc = aurocN > 0 ? aurocSum / aurocN : double.NaN,
            MacroF1 = f1N > 0 ? f1Sum / f1N : double.NaN,
            Ece = n > 0 ? ece : double.NaN,
            LogLoss = n > 0 ? logLoss / n : double.NaN,
            Classes = perClass,
        };
    }

    /// <summary>
    /// One-vs-rest AUROC by the Mann–Whitney U statistic: the probability that a random positive scores above a random
    /// negative, ties counted half (average ranks). NaN when there are no positives or no negatives.
    /// </summary>
    public static double Auroc(ReadOnlySpan<float> scores, ReadOnlySpan<int> labels, int positiveClass)
    {
        var n = scores.Length;
        var order = new int[n];
        var keys = scores.ToArray();
        for (var i = 0; i < n; i++)
        {
            order[i] = i;
        }

        Array.Sort(keys, order);
        long positives = 0;
        var rankSum = 0.0;
        var start = 0;
        while (start < n)
        {
            var end = start + 1;
            while (end < n && keys[end] == keys[start])
            {
                end++;
            }

            // Ranks start..end-1 (1-based: start+1..end) share their average.
            var averageRank = (start + 1 + end) / 2.0;
            for (var i = start; i < end; i++)
            {
                if (labels[order[i]] == positiveClass)
                {
                    positives++;
                    rankSum += averageRank;
                }
            }

            start = end;
        }

        var negatives = n - positives;
        if (positives == 0 || negatives == 0)
        {
            return double.NaN;
        }

        return (rankSum - (positives * (positives + 1) / 2.0)) / ((double)positives * negatives);
    }
}
