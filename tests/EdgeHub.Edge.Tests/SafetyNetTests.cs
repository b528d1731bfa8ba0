using EdgeHub.Contracts;
using EdgeHub.Edge.Alerts;

namespace EdgeHub.Edge.Tests;

public class SafetyNetTests
{
    private static SafetyInputs Normal() => new() { HeartRate = 72, SecondsSinceLastBeat = 0.4, SpO2 = 97, SecondsObserved = 30 };

    private static List<AlertEvent> Run(AlertTracker t, SafetyInputs x, int seconds, long start = 0)
    {
        var all = new List<AlertEvent>();
        var events = new AlertEvent[AlertKinds.Count];
        for (var s = 0; s < seconds; s++)
        {
            var n = SafetyNet.Evaluate(t, x, (start + s) * 1_000_000L, events);
            all.AddRange(events.AsSpan(0, n).ToArray());
        }

        return all;
    }

    [Fact]
    public void Evaluate_NormalVitals_RaisesNothing()
    {
        Assert.Empty(Run(new AlertTracker(new AlertOptions()), Normal(), 60));
    }

    [Fact]
    public void Evaluate_NoQrsForFourSeconds_RaisesCriticalAsystoleAtOnce()
    {
        var t = new AlertTracker(new AlertOptions());
        var events = Run(t, Normal() with { SecondsSinceLastBeat = 4.2, HeartRate = null }, 1);
        var e = Assert.Single(events);
        Assert.Equal("asystole", e.Kind.Name);
        Assert.Equal(AlertTransition.Raised, e.Transition);
        Assert.Equal(AlertSeverity.Critical, e.Severity);
        var cleared = Run(t, Normal(), 2, start: 5);
        Assert.Contains(cleared, x => x.Kind.Name == "asystole" && x.Transition == AlertTransition.Cleared && x.AlertId == e.AlertId);
    }

    [Fact]
    public void Evaluate_FlatLineWithLeadOff_RaisesLeadOffNotAsystole()
    {
        var t = new AlertTracker(new AlertOptions());
        var events = Run(t, Normal() with { SecondsSinceLastBeat = 12, HeartRate = null, LeadOff = true }, 12);
        Assert.DoesNotContain(events, e => e.Kind.Name == "asystole");
        var e = Assert.Single(events);
        Assert.Equal("lead_off", e.Kind.Name);
        Assert.Equal(AlertSeverity.Low, e.Severity);
    }

    [Fact]
    public void Evaluate_ShortlyAfterStart_DoesNotCallMissingBeatsAsystole()
    {
        var t = new AlertTracker(new AlertOptions());
        Assert.Empty(Run(t, Normal() with { SecondsSinceLastBeat = 4.5, SecondsObserved = 4.5, HeartRate = null }, 1));
    }

    [Theory]
    [InlineData(135, "hr_high", AlertSeverity.High)]
    [InlineData(170, "hr_high", AlertSeverity.Critical)]
    [InlineData(38, "hr_low", AlertSeverity.High)]
    public void Evaluate_News2PulseRedBand_RaisesAfterThreeSeconds(double hr, string kind, AlertSeverity severity)
    {
        var t = new AlertTracker(new AlertOptions());
        Assert.Empty(Run(t, Normal() with { HeartRate = hr }, 2));
        var e = Assert.Single(Run(t, Normal() with { HeartRate = hr }, 1, start: 2));
        Assert.Equal(kind, e.Kind.Name);
        Assert.Equal(severity, e.Severity);
    }

    [Fact]
    public void Evaluate_HeartRateJustInsideNews2Bands_RaisesNothing()
    {
        var t = new AlertTracker(new AlertOptions());
        Assert.Empty(Run(t, Normal() with { HeartRate = 130 }, 20));
        Assert.Empty(Run(t, Normal() with { HeartRate = 41 }, 20));
    }

    [Fact]
    public void Evaluate_Desaturation_RaisesSpo2LowAndClearsWithHysteresis()
    {
        var t = new AlertTracker(new AlertOptions());
        var raised = Run(t, Normal() with { SpO2 = 88 }, 5);
        var e = Assert.Single(raised);
        Assert.Equal("spo2_low", e.Kind.Name);
        Assert.Empty(Run(t, Normal() with { SpO2 = 93 }, 20, start: 5)); // between 91 and 94: still the same episode
        var cleared = Run(t, Normal() with { SpO2 = 96 }, 5, start: 30);
        Assert.Contains(cleared, x => x.Transition == AlertTransition.Cleared && x.AlertId == e.AlertId);
    }

    [Fact]
    public void Evaluate_FastWideRun_RaisesVtRun()
    {
        var t = new AlertTracker(new AlertOptions());
        var e = Assert.Single(Run(t, Normal() with { FastWideRun = true, HeartRate = 180 }, 1));
        Assert.Equal("vt_run", e.Kind.Name);
        Assert.Equal(AlertSeverity.Critical, e.Severity);
    }

    [Fact]
    public void EvaluateModel_ProbabilityAboveRaiseThreshold_RaisesThatClassAfterK()
    {
        var t = new AlertTracker(new AlertOptions { RaiseAfter = 3 });
        var probs = new float[RhythmClasses.Count];
        probs[(int)RhythmClass.AtrialFibrillation] = 0.9f;
        probs[0] = 0.1f;
        var events = new AlertEvent[AlertKinds.Count];
        var total = new List<AlertEvent>();
        for (var i = 0; i < 5; i++)
        {
            var n = SafetyNet.EvaluateModel(t, probs, new AlertOptions { RaiseAfter = 3 }, i, events);
            total.AddRange(events.AsSpan(0, n).ToArray());
        }

        var e = Assert.Single(total);
        Assert.Equal("af", e.Kind.Name);
        Assert.Equal(RhythmClass.AtrialFibrillation, e.Kind.LabelClass);
    }
}
