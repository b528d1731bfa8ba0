namespace EdgeHub.Signals.Tests;

public class BeatScoringTests
{
    private static WfdbAnnotation N(long sample) => new(sample, 1, 0, 0, 0, null, double.NaN);

    private static WfdbAnnotation Code(long sample, int code) => new(sample, code, 0, 0, 0, null, double.NaN);

    [Fact]
    public void Score_MatchWithinWindow_CountsTruePositive_OutsideCountsBoth()
    {
        WfdbAnnotation[] reference = [N(1000), N(2000), N(3000)];
        long[] test = [1054, 2055, 3500];
        var s = BeatScoring.Score(reference, test, 360, startSeconds: 0);
        Assert.Equal(new BeatScore(1, 2, 2), s); // 54 samples = 150 ms matches; 55 does not
    }

    [Fact]
    public void Score_BeatsBeforeStart_Ignored()
    {
        WfdbAnnotation[] reference = [N(100), N(400), N(5000)];
        long[] test = [100, 300, 5001];
        var s = BeatScoring.Score(reference, test, 1000, startSeconds: 1);
        Assert.Equal(new BeatScore(1, 0, 0), s);
    }

    [Fact]
    public void Score_TestBeatsInsideReferenceVentricularFlutter_NotCounted()
    {
        WfdbAnnotation[] reference = [N(100), Code(500, AnnotationCodes.VfOn), Code(600, 31), Code(700, AnnotationCodes.VfOff), N(1000)];
        long[] test = [100, 550, 650, 1000, 1300];
        var s = BeatScoring.Score(reference, test, 1000, startSeconds: 0);
        Assert.Equal(new BeatScore(2, 1, 0), s); // 550 and 650 fall in VF; 1300 is a false positive
    }

    [Fact]
    public void Score_CloserPartnerFollows_PairsTheCloserOne()
    {
        WfdbAnnotation[] reference = [N(1000)];
        long[] test = [960, 1001];
        var s = BeatScoring.Score(reference, test, 1000, startSeconds: 0);
        Assert.Equal(new BeatScore(1, 1, 0), s);
    }

    [Fact]
    public void BeatScore_Ratios_AndPooling()
    {
        var a = new BeatScore(99, 1, 0);
        var b = new BeatScore(1, 0, 1);
        var p = a + b;
        Assert.Equal(new BeatScore(100, 1, 1), p);
        Assert.Equal(100 / 101.0, p.Sensitivity, 12);
        Assert.Equal(100 / 101.0, p.PositivePredictivity, 12);
        Assert.Equal(1, new BeatScore().Sensitivity);
    }
}
