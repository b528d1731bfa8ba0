using EdgeHub.Learning.Evaluation;

namespace EdgeHub.Learning.Tests;

public sealed class MetricsTests
{
    [Fact]
    public void Auroc_PerfectReversedTiedAndHandComputed()
    {
        int[] labels = [1, 1, 0, 0];
        Assert.Equal(1.0, MetricsCalculator.Auroc([0.9f, 0.8f, 0.2f, 0.1f], labels, 1));
        Assert.Equal(0.0, MetricsCalculator.Auroc([0.1f, 0.2f, 0.8f, 0.9f], labels, 1));
        Assert.Equal(0.5, MetricsCalculator.Auroc([0.5f, 0.5f, 0.5f, 0.5f], labels, 1));
        // Positives 0.8, 0.4; negatives 0.6, 0.2: pairs won 3 of 4.
        Assert.Equal(0.75, MetricsCalculator.Auroc([0.8f, 0.4f, 0.6f, 0.2f], labels, 1));
        Assert.True(double.IsNaN(MetricsCalculator.Auroc([0.8f, 0.4f], [0, 0], 1)));
    }

    [Fact]
    public void Compute_ConfusionCounts_GiveSensitivityPpvF1()
    {
        // 3 classes; rows: (label, predicted): (0,0) (0,0) (0,1) (1,1) (1,0) (2,2)
        float[] p =
        [
            0.8f, 0.1f, 0.1f,
            0.7f, 0.2f, 0.1f,
            0.3f, 0.6f, 0.1f,
            0.2f, 0.7f, 0.1f,
            0.5f, 0.4f, 0.1f,
            0.1f, 0.1f, 0.8f,
        ];
        int[] y = [0, 0, 0, 1, 1, 2];
        var m = MetricsCalculator.Compute(p, y, 3);
        Assert.Equal(6, m.Rows);
        Assert.Equal(4.0 / 6, m.Accuracy, 10);
        Assert.Equal(2.0 / 3, m.Classes[0].Sensitivity, 10);
        Assert.Equal(2.0 / 3, m.Classes[0].Ppv, 10);
        Assert.Equal(0.5, m.Classes[1].Sensitivity, 10);
        Assert.Equal(0.5, m.Classes[1].Ppv, 10);
        Assert.Equal(0.5, m.Classes[1].F1, 10);
        Assert.Equal(1.0, m.Classes[2].F1, 10);
        Assert.Equal(1, m.Classes[2].Support);
        Assert.Equal(-Math.Log(0.8 * 0.7 * 0.3 * 0.7 * 0.4 * 0.8) / 6, m.LogLoss, 5);
    }

    [Fact]
    public void Compute_Calibration_EceIsGapBetweenConfidenceAndAccuracy()
    {
        // Ten rows at confidence 0.9, nine right: calibrated (ECE 0). Then all wrong at 0.9: ECE 0.9.
        var p = new float[10 * 2];
        var right = new int[10];
        var wrong = new int[10];
        for (var i = 0; i < 10; i++)
        {
            p[i * 2] = 0.9f;
            p[(i * 2) + 1] = 0.1f;
            right[i] = i == 0 ? 1 : 0;
            wrong[i] = 1;
        }

        Assert.Equal(0.0, MetricsCalculator.Compute(p, right, 2).Ece, 5);
        Assert.Equal(0.9, MetricsCalculator.Compute(p, wrong, 2).Ece, 5);
    }

    [Fact]
    public void Compute_ClassWithoutHoldoutRows_IsNaNAndLeftOutOfMacro()
    {
        float[] p = [0.9f, 0.1f, 0f, 0.2f, 0.8f, 0f];
        var m = MetricsCalculator.Compute(p, [0, 1], 3);
        Assert.True(double.IsNaN(m.Classes[2].Sensitivity));
        Assert.True(double.IsNaN(m.Classes[2].Auroc));
        Assert.Equal(1.0, m.MacroAuroc, 10);
    }

    [Fact]
    public void Compute_BadInput_ThrowsClearly()
    {
        Assert.Throws<ArgumentException>(() => MetricsCalculator.Compute([0.5f, 0.5f], [0, 1], 2));
        Assert.Throws<ArgumentException>(() => MetricsCalculator.Compute([0.5f, 0.5f], [5], 2));
    }
}
