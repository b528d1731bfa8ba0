using EdgeHub.Contracts;
using EdgeHub.Edge.Alerts;

namespace EdgeHub.Edge.Tests;

public class AlertTrackerTests
{
    private static readonly AlertOptions Options = new() { RaiseAfter = 3, ClearAfter = 2, UpdateIntervalSeconds = 30 };

    [Fact]
    public void Evaluate_KConsecutiveAbove_RaisesOnceWithOneId()
    {
        var t = new AlertTracker(Options);
        var kind = AlertKinds.Af;
        Assert.Equal(AlertTransition.None, t.Evaluate(kind, true, false, 1_000_000, AlertSeverity.High, out _));
        Assert.Equal(AlertTransition.None, t.Evaluate(kind, true, false, 2_000_000, AlertSeverity.High, out _));
        Assert.Equal(AlertTransition.Raised, t.Evaluate(kind, true, false, 3_000_000, AlertSeverity.High, out var id));
        Assert.NotNull(id);
        Assert.Equal(1_000_000, t.StartedMicros(kind));
        for (var s = 4; s < 20; s++)
        {
            Assert.Equal(AlertTransition.None, t.Evaluate(kind, true, false, s * 1_000_000L, AlertSeverity.High, out var same));
            Assert.Equal(id, same);
        }

        Assert.Equal(id, t.MostSevereAlertId);
    }

    [Fact]
    public void Evaluate_InterruptedRun_DoesNotRaise()
    {
        var t = new AlertTracker(Options);
        var k = AlertKinds.Tachy;
        t.Evaluate(k, true, false, 1, AlertSeverity.Medium, out _);
        t.Evaluate(k, true, false, 2, AlertSeverity.Medium, out _);
        t.Evaluate(k, false, false, 3, AlertSeverity.Medium, out _);
        t.Evaluate(k, true, false, 4, AlertSeverity.Medium, out _);
        Assert.Equal(AlertTransition.None, t.Evaluate(k, true, false, 5, AlertSeverity.Medium, out _));
        Assert.False(t.AnyActive);
    }

    [Fact]
    public void Evaluate_FlickerInsideHysteresisBand_KeepsOneEpisode()
    {
        var t = new AlertTracker(Options);
        var k = AlertKinds.Af;
        for (var i = 0; i < 3; i++)
        {
            t.Evaluate(k, true, false, i, AlertSeverity.High, out _);
        }

        var id = t.ActiveId(k);
        // Between the thresholds (neither above nor below), then one below, then above again: no clear, no new id.
        Assert.Equal(AlertTransition.None, t.Evaluate(k, false, false, 10, AlertSeverity.High, out _));
        Assert.Equal(AlertTransition.None, t.Evaluate(k, false, true, 11, AlertSeverity.High, out _));
        Assert.Equal(AlertTransition.None, t.Evaluate(k, true, false, 12, AlertSeverity.High, out _));
        Assert.Equal(AlertTransition.None, t.Evaluate(k, false, true, 13, AlertSeverity.High, out _));
        Assert.Equal(id, t.ActiveId(k));
        Assert.Equal(AlertTransition.Cleared, t.Evaluate(k, false, true, 14, AlertSeverity.High, out var cleared));
        Assert.Equal(id, cleared);
        Assert.Null(t.ActiveId(k));
        for (var i = 20; i < 23; i++)
        {
            t.Evaluate(k, true, false, i, AlertSeverity.High, out _);
        }

        Assert.NotEqual(id, t.ActiveId(k));
    }

    [Fact]
    public void Evaluate_SeverityEscalates_SendsUpdated()
    {
        var t = new AlertTracker(new AlertOptions { RaiseAfter = 1, ClearAfter = 1 });
        var k = AlertKinds.Spo2Low;
        Assert.Equal(AlertTransition.None, t.Evaluate(k, true, false, 1, AlertSeverity.High, out _));
        Assert.Equal(AlertTransition.None, t.Evaluate(k, true, false, 2, AlertSeverity.High, out _));
        Assert.Equal(AlertTransition.Raised, t.Evaluate(k, true, false, 3, AlertSeverity.High, out _));
        Assert.Equal(AlertTransition.Updated, t.Evaluate(k, true, false, 4, AlertSeverity.Critical, out _));
        Assert.Equal(AlertSeverity.Critical, t.Severity(k));
        Assert.Equal(AlertTransition.None, t.Evaluate(k, true, false, 5, AlertSeverity.Critical, out _));
        Assert.Equal(AlertTransition.Updated, t.Evaluate(k, true, false, 5 + 31_000_000, AlertSeverity.Critical, out _));
    }

    [Fact]
    public void MostSevereAlertId_PrefersCritical()
    {
        var t = new AlertTracker(new AlertOptions { RaiseAfter = 1 });
        t.Evaluate(AlertKinds.LeadOff, true, false, 1, AlertSeverity.Low, out _);
        for (var i = 0; i < 10; i++)
        {
            t.Evaluate(AlertKinds.LeadOff, true, false, i + 2, AlertSeverity.Low, out _);
        }

        t.Evaluate(AlertKinds.Asystole, true, false, 20, AlertSeverity.Critical, out var asystole);
        Assert.NotNull(t.ActiveId(AlertKinds.LeadOff));
        Assert.Equal(asystole, t.MostSevereAlertId);
    }

    [Fact]
    public void MostSevereAlertId_EqualSeverity_PrefersOldestEpisode()
    {
        var t = new AlertTracker(new AlertOptions { RaiseAfter = 1, ClearAfter = 1 });
        // Spo2Low (index 9) starts first, HrHigh (index 7) later: the oldest wins although it comes later in kind order.
        t.Evaluate(AlertKinds.Spo2Low, true, false, 1_000_000, AlertSeverity.High, out _);
        t.Evaluate(AlertKinds.Spo2Low, true, false, 2_000_000, AlertSeverity.High, out _);
        Assert.Equal(AlertTransition.Raised, t.Evaluate(AlertKinds.Spo2Low, true, false, 3_000_000, AlertSeverity.High, out var spo2));
        for (var s = 4; s <= 6; s++)
        {
            t.Evaluate(AlertKinds.HrHigh, true, false, s * 1_000_000L, AlertSeverity.High, out _);
        }

        Assert.NotNull(t.ActiveId(AlertKinds.HrHigh));
        Assert.Equal(spo2, t.MostSevereAlertId);
        var ids = new List<string>();
        t.CopyWindowAlertIds(ids);
        Assert.Equal([t.ActiveId(AlertKinds.HrHigh)!, spo2!], ids);
    }

    [Fact]
    public void Evaluate_AfterClear_StateIsAsNew()
    {
        var t = new AlertTracker(new AlertOptions { RaiseAfter = 2, ClearAfter = 2 });
        var k = AlertKinds.Af;
        Assert.False(t.AnyActive);
        Assert.Null(t.MostSevereAlertId);
        t.Evaluate(k, true, false, 10, AlertSeverity.High, out _);
        Assert.Equal(AlertTransition.Raised, t.Evaluate(k, true, false, 20, AlertSeverity.High, out var first));
        Assert.Equal(10, t.StartedMicros(k));
        Assert.Equal(10, t.FirstAboveMicros(k));
        t.Evaluate(k, false, true, 30, AlertSeverity.High, out _);
        Assert.Equal(AlertTransition.Cleared, t.Evaluate(k, false, true, 40, AlertSeverity.High, out var cleared));
        Assert.Equal(first, cleared);
        Assert.False(t.AnyActive);
        Assert.Null(t.MostSevereAlertId);
        Assert.Equal(0, t.StartedMicros(k));
        Assert.Equal(0, t.FirstAboveMicros(k));
        Assert.Equal(default, t.Severity(k));

        // A new episode starts counting from scratch and gets its own id and start.
        Assert.Equal(AlertTransition.None, t.Evaluate(k, true, false, 50, AlertSeverity.Medium, out _));
        Assert.Equal(AlertTransition.Raised, t.Evaluate(k, true, false, 60, AlertSeverity.Medium, out var second));
        Assert.NotEqual(first, second);
        Assert.Equal(50, t.StartedMicros(k));
        Assert.Equal(AlertSeverity.Medium, t.Severity(k));
    }

    /// <summary>One episode of AF (raise and clear after one evaluation each) at second <paramref name="at"/>; returns its id.</summary>
    private static string Episode(AlertTracker t, long at)
    {
        Assert.Equal(AlertTransition.Raised, t.Evaluate(AlertKinds.Af, true, false, at * 1_000_000, AlertSeverity.High, out var id));
        Assert.Equal(AlertTransition.Cleared, t.Evaluate(AlertKinds.Af, false, true, (at + 1) * 1_000_000, AlertSeverity.High, out _));
        return id!;
    }

    [Fact]
    public void CopyWindowAlertIds_AlertRaisedAndClearedBeforeAnyWindow_GoesToTheNextWindowOnce()
    {
        var t = new AlertTracker(new AlertOptions { RaiseAfter = 1, ClearAfter = 1 });
        var id = Episode(t, 2);
        var first = new List<string>();
        t.CopyWindowAlertIds(first);
        Assert.Equal([id], first);
        var second = new List<string>();
        t.CopyWindowAlertIds(second);
        Assert.Empty(second);
    }

    [Fact]
    public void CopyWindowAlertIds_AlertThatHadAWindow_IsNotCarriedPastItsClear()
    {
        var t = new AlertTracker(new AlertOptions { RaiseAfter = 1, ClearAfter = 1 });
        Assert.Equal(AlertTransition.Raised, t.Evaluate(AlertKinds.Af, true, false, 1_000_000, AlertSeverity.High, out var id));
        var during = new List<string>();
        t.CopyWindowAlertIds(during);
        Assert.Equal([id!], during);
        Assert.Equal(AlertTransition.Cleared, t.Evaluate(AlertKinds.Af, false, true, 2_000_000, AlertSeverity.High, out _));
        var after = new List<string>();
        t.CopyWindowAlertIds(after);
        Assert.Empty(after);
    }

    [Fact]
    public void CopyWindowAlertIds_DeviceThatNeverGetsAWindow_KeepsOnlyTheLatestEndedAlerts()
    {
        var t = new AlertTracker(new AlertOptions { RaiseAfter = 1, ClearAfter = 1 });
        var ids = new List<string>();
        for (var i = 0; i < AlertTracker.MaxUnlinked + 5; i++)
        {
            ids.Add(Episode(t, i * 10));
        }

        var window = new List<string>();
        t.CopyWindowAlertIds(window);
        Assert.Equal(ids[^AlertTracker.MaxUnlinked..], window);
    }
}
