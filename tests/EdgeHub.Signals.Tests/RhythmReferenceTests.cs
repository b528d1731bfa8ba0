using EdgeHub.Contracts;

namespace EdgeHub.Signals.Tests;

public class RhythmReferenceTests
{
    [Fact]
    public void Score_ConstructedEpisodes_MatchHandComputedCounts()
    {
        // Reference: [100,200) [300,400) [500,600) [0,50) (the last lies before the scored span, which starts at 60).
        // Test: [150,250) overlaps ref 1 by 50; [350,360) overlaps ref 2 by 10; [700,800) overlaps nothing.
        RhythmEpisode[] reference = [new(100, 200), new(300, 400), new(500, 600), new(0, 50)];
        RhythmEpisode[] test = [new(150, 250), new(350, 360), new(700, 800)];
        var s = EpisodeScoring.Score(reference, test, fromSample: 60, toSample: 1000, sampleRate: 10);

        Assert.Equal(3, s.ReferenceEpisodes);
        Assert.Equal(2, s.DetectedReference);
        Assert.Equal(3, s.TestEpisodes);
        Assert.Equal(2, s.TrueTest);
        Assert.Equal(30.0, s.ReferenceSeconds, 9);  // 300 samples at 10 Hz
        Assert.Equal(21.0, s.TestSeconds, 9);       // 100 + 10 + 100 samples
        Assert.Equal(6.0, s.OverlapSeconds, 9);     // 50 + 10 samples
        Assert.Equal(2.0 / 3, s.Sensitivity, 9);
        Assert.Equal(2.0 / 3, s.PositivePredictivity, 9);
        Assert.Equal(0.2, s.DurationSensitivity, 9);
        Assert.Equal(6.0 / 21, s.DurationPositivePredictivity, 9);
    }

    [Fact]
    public void Score_OverlappingTestEpisodes_MergedBeforeCounting()
    {
        // Two alerts of different kinds covering one run count as one test episode.
        var s = EpisodeScoring.Score([new(100, 200)], [new(90, 150), new(140, 210)], 0, 1000, 1);
        Assert.Equal(1, s.TestEpisodes);
        Assert.Equal(1, s.TrueTest);
        Assert.Equal(100, s.OverlapSeconds, 9);
        Assert.Equal(120, s.TestSeconds, 9);
    }

    [Fact]
    public void Score_NoReferenceEpisodes_SensitivityIsNaNNotZero()
    {
        var s = EpisodeScoring.Score([], [new(10, 20)], 0, 100, 1);
        Assert.True(double.IsNaN(s.Sensitivity));
        Assert.Equal(0, s.PositivePredictivity);
    }

    [Fact]
    public void FromAnnotations_ConstructedBeats_RunsOfThreeVAndWindowClasses()
    {
        // N at 0..9 s (1 per second), V V V at 10, 10.5, 11 s, N at 11.5 s, V V (a couplet, not a run) at 12, 12.5 s, N at 13 s.
        var a = new List<WfdbAnnotation>();
        void Beat(double t, int code) => a.Add(new WfdbAnnotation((long)(t * 100), code, 0, 0, 0, null, t));
        for (var t = 0; t < 10; t++)
        {
            Beat(t, 1);
        }

        Beat(10, 5);
        Beat(10.5, 5);
        Beat(11, 5);
        Beat(11.5, 1);
        Beat(12, 5);
        Beat(12.5, 5);
        Beat(13, 1);
        var r = RhythmReference.FromAnnotations("x", a, 100, 2000);

        Assert.False(r.HasRhythmLabels);
        Assert.Equal([new RhythmEpisode(1000, 1150)], r.VentricularRuns);
        Assert.Equal(RhythmClass.Normal, r.WindowClass(0, 950));              // 60 bpm
        Assert.Equal(RhythmClass.VentricularTachycardia, r.WindowClass(500, 1120));
        Assert.Equal(RhythmClass.VentricularEctopy, r.WindowClass(1140, 1300)); // the couplet only
        Assert.Null(r.WindowClass(1500, 1600));                               // no beats: reference cannot say
        Assert.Empty(r.AtrialFibrillation);                                   // never guessed without aux strings
    }

    [Fact]
    public void Read_OriginalRecord106_AuxVtEpisodesAndRunsFromBeats()
    {
        var path = TestData.Record("106");
        var record = Wfdb.ReadRecord(path);
        var r = RhythmReference.Read(path, record.SampleRate, record.Length);

        Assert.True(r.HasRhythmLabels);
        Assert.Empty(r.AtrialFibrillation);
        // 106's aux strings mark ventricular tachycardia; every (VT episode is also a run of V beats in the beat labels.
        Assert.NotEmpty(r.VentricularTachycardiaAux);
        Assert.All(r.VentricularTachycardiaAux, e => Assert.True(RhythmReference.Covered(r.VentricularRuns, e.Start, e.End) > 0));
        Assert.True(r.VentricularRuns.Count >= r.VentricularTachycardiaAux.Count);
    }

    [Fact]
    public void Read_DerivedRecord201_NoRhythmLabelsSoNoAfReference()
    {
        var path = TestData.Record("201");
        var record = Wfdb.ReadRecord(path);
        var r = RhythmReference.Read(path, record.SampleRate, record.Length);
        Assert.False(r.HasRhythmLabels);
        Assert.Empty(r.AtrialFibrillation);
    }
}
