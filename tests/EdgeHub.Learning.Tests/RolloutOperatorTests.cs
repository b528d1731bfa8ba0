using System.Text.Json;
using EdgeHub.Contracts;
using EdgeHub.Learning.Rollouts;

namespace EdgeHub.Learning.Tests;

/// <summary>
/// Operator actions (explicit, recorded with actor and reason, refused when the state does not allow them) and the abort
/// criteria judged on what the edge reports: the model an error or a shadow run concerns, and sample sizes.
/// </summary>
public sealed class RolloutOperatorTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 21, 8, 0, 0, TimeSpan.Zero);
    private static readonly string[] Five = ["e1", "e2", "e3", "e4", "e5"];

    private static RolloutPlan Plan(AbortCriteria? abort = null, int shadow = 300) => new()
    {
        RolloutId = "r1",
        Region = "eu",
        ModelVersion = "eu-2",
        CanaryEdges = ["e1"],
        CanaryDuration = TimeSpan.FromHours(1),
        Waves = [new RolloutWave { Edges = 2, Interval = TimeSpan.FromHours(1) }, new RolloutWave { Percent = 100, Interval = TimeSpan.FromHours(1) }],
        ShadowWindows = shadow,
        Abort = abort ?? new AbortCriteria { SilentTimeout = TimeSpan.FromMinutes(3), ActivationTimeout = TimeSpan.FromMinutes(30) },
    };

    private static int Running(FakeFleet fleet, string model) => fleet.Edges.Values.Count(e => e.Running == model);

    [Fact]
    public void Promote_AdvancesOnePhaseNow_AndIsRecordedWithActorAndReason()
    {
        var engine = new RolloutEngine("eu", "eu-1", Five, T0);
        var fleet = new FakeFleet("eu-1", Five);
        engine.Create(Plan(), T0, "alice (operator token)");
        fleet.Apply(engine.Promote(T0, "alice (operator token)", "change window is short"));
        Assert.Equal(RolloutState.Canary, engine.Active!.State);
        fleet.Run(engine, T0.AddMinutes(1), TimeSpan.FromMinutes(1), T0.AddMinutes(3));
        Assert.Equal(1, Running(fleet, "eu-2"));

        // Canary runs healthy: promote starts wave 1 at once instead of after the hour.
        fleet.Apply(engine.Promote(T0.AddMinutes(4), "alice (operator token)", "canary looks fine"));
        Assert.Equal(RolloutState.Waves, engine.Active!.State);
        Assert.Equal(3, Running(fleet, "eu-2"));

        // The last wave then completes the rollout.
        fleet.Run(engine, T0.AddMinutes(5), TimeSpan.FromMinutes(1), T0.AddMinutes(6));
        fleet.Apply(engine.Promote(T0.AddMinutes(7), "bob", null));
        fleet.Run(engine, T0.AddMinutes(8), TimeSpan.FromMinutes(1), T0.AddMinutes(9));
        fleet.Apply(engine.Promote(T0.AddMinutes(10), "bob", null));
        var done = Assert.Single(engine.Finished);
        Assert.Equal(RolloutState.Complete, done.State);
        Assert.Equal(5, Running(fleet, "eu-2"));

        var promotes = done.History.Where(h => h.Kind == "promote").ToList();
        Assert.Equal(4, promotes.Count);
        Assert.Equal("alice (operator token)", promotes[1].Actor);
        Assert.Contains("canary ends now", promotes[1].Detail, StringComparison.Ordinal);
        Assert.EndsWith("canary looks fine", promotes[1].Detail, StringComparison.Ordinal);
        Assert.Equal("alice (operator token)", done.History[0].Actor);
        Assert.Null(done.History.First(h => h.Kind == "assign").Actor);
        Assert.Contains(engine.Log, e => e.Kind == "promote" && e.Detail.StartsWith("r1: ", StringComparison.Ordinal));
    }

    [Fact]
    public void Promote_BeforeThePhaseRuns_IsRefusedWithTheEdgesNamed()
    {
        var engine = new RolloutEngine("eu", "eu-1", Five, T0);
        engine.Create(Plan(), T0);
        engine.Tick(T0, []);
        var ex = Assert.Throws<InvalidOperationException>(() => engine.Promote(T0.AddMinutes(1), "ops", null));
        Assert.Contains("e1 not yet running eu-2", ex.Message, StringComparison.Ordinal);
        Assert.Equal(RolloutState.Canary, engine.Active!.State);
        Assert.DoesNotContain(engine.Active.History, h => h.Kind == "promote");
    }

    [Fact]
    public void OperatorActions_RefusedWhenTheStateDoesNotAllowThem()
    {
        var engine = new RolloutEngine("eu", "eu-1", Five, T0);
        Assert.Contains("no rollout in progress; nothing to pause",
            Assert.Throws<InvalidOperationException>(() => engine.Pause(T0, "ops", null)).Message, StringComparison.Ordinal);
        Assert.Contains("nothing to promote", Assert.Throws<InvalidOperationException>(() => engine.Promote(T0, "ops", null)).Message, StringComparison.Ordinal);
        Assert.Contains("nothing to roll back", Assert.Throws<InvalidOperationException>(() => engine.Abort(T0, "ops", null)).Message, StringComparison.Ordinal);
        Assert.Contains("not pinned", Assert.Throws<InvalidOperationException>(() => engine.Unpin("e2", T0, "ops", null)).Message, StringComparison.Ordinal);

        engine.Create(Plan(), T0);
        Assert.Contains("not paused", Assert.Throws<InvalidOperationException>(() => engine.Resume(T0, "ops", null)).Message, StringComparison.Ordinal);
        engine.Pause(T0, "ops", "night");
        Assert.Contains("Paused", Assert.Throws<InvalidOperationException>(() => engine.Pause(T0, "ops", null)).Message, StringComparison.Ordinal);
        Assert.Contains("resume it before promoting", Assert.Throws<InvalidOperationException>(() => engine.Promote(T0, "ops", null)).Message, StringComparison.Ordinal);
        engine.Resume(T0.AddMinutes(1), "carol", "morning");
        var resumed = engine.Active!.History[^1];
        Assert.Equal((RolloutState.Paused, RolloutState.Pending, "carol", "resumed: morning"), (resumed.From!.Value, resumed.To!.Value, resumed.Actor, resumed.Detail));

        engine.Abort(T0.AddMinutes(2), "dave", "wrong model");
        var rolledBack = engine.Finished[^1];
        Assert.Equal(("dave", "operator rollback: wrong model"), (rolledBack.History[^1].Actor, rolledBack.AbortReason));
    }

    [Fact]
    public void PinAndUnpin_OutsideARollout_LandInTheRegionLogWithActor()
    {
        var engine = new RolloutEngine("eu", "eu-1", Five, T0);
        engine.Pin("e3", "eu-0", T0, "erin", "ward 3 validation study");
        engine.Unpin("e3", T0.AddHours(1), "erin", "study over");
        Assert.Equal(["pin", "unpin"], engine.Log.Select(e => e.Kind));
        Assert.Equal("e3 pinned to eu-0: ward 3 validation study", engine.Log[0].Detail);
        Assert.All(engine.Log, e => Assert.Equal("erin", e.Actor));
    }

    [Fact]
    public void SilentEdges_CountAsFailing_AgainstMaxFailedEdges()
    {
        var engine = new RolloutEngine("eu", "eu-1", Five, T0);
        var fleet = new FakeFleet("eu-1", Five);
        engine.Create(Plan(new AbortCriteria { MaxFailedEdges = 1, SilentTimeout = TimeSpan.FromMinutes(3) }) with { CanaryEdges = ["e1", "e2"] }, T0);
        fleet.Run(engine, T0, TimeSpan.FromMinutes(1), T0.AddMinutes(2));
        fleet.Edges["e1"].Silent = true;
        fleet.Run(engine, T0.AddMinutes(3), TimeSpan.FromMinutes(1), T0.AddMinutes(20));
        Assert.Equal(RolloutState.Canary, engine.Active!.State); // one failing edge is tolerated

        fleet.Edges["e2"].Silent = true;
        fleet.Run(engine, T0.AddMinutes(21), TimeSpan.FromMinutes(1), T0.AddMinutes(40));
        var done = engine.Finished[^1];
        Assert.Equal(RolloutState.RolledBack, done.State);
        Assert.Contains("2 edges failing on eu-2 (e1, e2; limit 1)", done.AbortReason, StringComparison.Ordinal);
        Assert.Contains("silent", done.AbortReason, StringComparison.Ordinal);
    }

    [Fact]
    public void ShadowDisagreement_JudgedAfterPromotionOnTheEdge_AndOnlyOnEnoughWindows()
    {
        var engine = new RolloutEngine("eu", "eu-1", Five, T0);
        engine.Create(Plan(shadow: 200), T0);
        engine.Tick(T0, []);

        // Too few windows compared yet: not judged.
        engine.Tick(T0.AddMinutes(1), [new EdgeObservation
        {
            EdgeId = "e1", At = T0.AddMinutes(1), ModelVersion = "eu-1", CandidateVersion = "eu-2", ShadowVersion = "eu-2", ShadowAgreement = 0.2, ShadowWindows = 10,
        }]);
        Assert.NotNull(engine.Active);

        // The shadow run finished and the edge already swapped between two status messages: still judged, by ShadowVersion.
        engine.Tick(T0.AddMinutes(2), [new EdgeObservation
        {
            EdgeId = "e1", At = T0.AddMinutes(2), ModelVersion = "eu-2", ShadowVersion = "eu-2", ShadowAgreement = 0.6, ShadowWindows = 200,
        }]);
        Assert.Null(engine.Active);
        Assert.Contains("shadow disagreement 0.4 above 0.15 over 200 windows", engine.Finished[^1].AbortReason, StringComparison.Ordinal);
    }

    [Fact]
    public void OverrideCounts_OfTheTargetModelOnly_WithTheirSampleSize()
    {
        var engine = new RolloutEngine("eu", "eu-1", Five, T0);
        engine.Create(Plan(), T0);
        engine.Tick(T0, []);
        EdgeObservation At(int minute, string model, int overrides, int samples) => new()
        {
            EdgeId = "e1", At = T0.AddMinutes(minute), ModelVersion = "eu-2", OverrideRate = 0.9, OverrideModelVersion = model,
            Overrides = overrides, OverrideSamples = samples,
        };

        engine.Tick(T0.AddMinutes(1), [At(1, "eu-1", 40, 40)]); // the previous model's answers: not this rollout's
        engine.Tick(T0.AddMinutes(2), [At(2, "eu-2", 5, 5)]);   // below the minimum sample
        engine.Tick(T0.AddMinutes(3), [At(3, "eu-2", 3, 12)]);  // 25 %: within the limit
        Assert.NotNull(engine.Active);
        engine.Tick(T0.AddMinutes(4), [At(4, "eu-2", 9, 14)]);
        Assert.Null(engine.Active);
        Assert.Contains("clinicians overrode 0.643 of eu-2's alerts, above 0.5 over 14 alerts", engine.Finished[^1].AbortReason, StringComparison.Ordinal);
    }

    [Fact]
    public void ModelErrors_NamingAnotherModel_DoNotCount()
    {
        var engine = new RolloutEngine("eu", "eu-1", Five, T0);
        engine.Create(Plan(), T0);
        engine.Tick(T0, []);
        engine.Tick(T0.AddMinutes(1), [new EdgeObservation
        {
            EdgeId = "e1", At = T0.AddMinutes(1), ModelVersion = "eu-2", ModelError = "model eu-0 failed to run: stale", ModelErrorVersion = "eu-0",
        }]);
        Assert.NotNull(engine.Active);
        engine.Tick(T0.AddMinutes(2), [new EdgeObservation
        {
            EdgeId = "e1", At = T0.AddMinutes(2), ModelVersion = "eu-1", ModelError = "model eu-2 refused: smoke run produced probability NaN", ModelErrorVersion = "eu-2",
        }]);
        Assert.Null(engine.Active);
        Assert.Contains("e1 failed to load or run eu-2: model eu-2 refused", engine.Finished[^1].AbortReason, StringComparison.Ordinal);
    }

    [Fact]
    public void EdgeStatus_NewFields_RoundTrip_AndOldJsonStillParses()
    {
        var status = new EdgeStatus
        {
            EdgeId = "e1", Region = "eu", Online = true, ModelVersion = "eu-2", LastModelError = "x", LastModelErrorVersion = "eu-3",
            LastModelErrorAt = T0, ShadowVersion = "eu-3", ShadowWindows = 120, ShadowAgreement = 0.95, OverrideModelVersion = "eu-2",
            Overrides = 2, OverrideSamples = 11, At = T0,
        };
        var json = JsonSerializer.Serialize(status, ContractsJson.Default.EdgeStatus);
        Assert.Equal(status, JsonSerializer.Deserialize(json, ContractsJson.Default.EdgeStatus));
        var o = EdgeObservation.FromStatus(status, T0.AddSeconds(3));
        Assert.Equal((T0.AddSeconds(3), "eu-3", "eu-3", 120L, 2, 11), (o.At, o.ModelErrorVersion, o.ShadowVersion, o.ShadowWindows!.Value, o.Overrides!.Value, o.OverrideSamples!.Value));
        Assert.Equal(2.0 / 11, o.OverrideRateOf("eu-2"));
        Assert.Null(o.OverrideRateOf("eu-3"));

        var old = JsonSerializer.Deserialize("""{"edgeId":"e9","region":"eu","online":true,"modelVersion":"eu-1","overrideRate":0.5,"at":"2026-11-21T08:00:00+00:00"}""",
            ContractsJson.Default.EdgeStatus)!;
        var fromOld = EdgeObservation.FromStatus(old);
        Assert.Equal((0.5, (string?)null, (int?)null), (fromOld.OverrideRateOf("eu-1")!.Value, fromOld.ShadowVersion, fromOld.OverrideSamples));
    }
}
