using System.Text.Json;
using EdgeHub.Contracts;
using EdgeHub.Learning.Registry;
using EdgeHub.Learning.Rollouts;

namespace EdgeHub.Learning.Tests;

public sealed class RolloutTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 21, 8, 0, 0, TimeSpan.Zero);
    private static readonly string[] Five = ["e1", "e2", "e3", "e4", "e5"];

    private static RolloutPlan Plan(string id = "r1", IReadOnlyList<string>? canaries = null, double? canaryPercent = null) => new()
    {
        RolloutId = id,
        Region = "eu",
        ModelVersion = "eu-2",
        CanaryEdges = canaries ?? (canaryPercent is null ? ["e1"] : null),
        CanaryPercent = canaryPercent,
        CanaryDuration = TimeSpan.FromMinutes(10),
        Waves = [new RolloutWave { Edges = 2, Interval = TimeSpan.FromMinutes(10) }, new RolloutWave { Percent = 100, Interval = TimeSpan.FromMinutes(10) }],
        Abort = new AbortCriteria { SilentTimeout = TimeSpan.FromMinutes(3), ActivationTimeout = TimeSpan.FromMinutes(5) },
    };

    private static int Running(FakeFleet fleet, string model) => fleet.Edges.Values.Count(e => e.Running == model);

    [Fact]
    public void Rollout_FiveEdges_GoesCanaryThenWavesThenComplete()
    {
        var engine = new RolloutEngine("eu", "eu-1", Five, T0);
        var fleet = new FakeFleet("eu-1", Five);
        engine.Create(Plan(), T0);
        Assert.Equal(RolloutState.Pending, engine.Active!.State);

        var seen = new List<(TimeSpan At, RolloutState State, int OnNew)>();
        fleet.Run(engine, T0, TimeSpan.FromMinutes(1), T0.AddHours(2), now =>
        {
            seen.Add((now - T0, engine.Active?.State ?? RolloutState.Complete, Running(fleet, "eu-2")));
            return true;
        });

        Assert.Null(engine.Active);
        var done = Assert.Single(engine.Finished);
        Assert.Equal(RolloutState.Complete, done.State);
        Assert.Equal("eu-2", engine.LastGoodModel);
        Assert.Equal(5, Running(fleet, "eu-2"));

        // Canary alone for its 10 minutes, then 2 more edges, then the rest.
        Assert.Equal((RolloutState.Canary, 1), (seen[5].State, seen[5].OnNew));
        Assert.Contains(seen, s => s.State == RolloutState.Waves && s.OnNew == 3);
        Assert.True(seen.First(s => s.OnNew == 3).At >= TimeSpan.FromMinutes(10));
        Assert.True(seen.First(s => s.OnNew == 5).At >= TimeSpan.FromMinutes(20));
        var transitions = done.History.Where(h => h.Kind == "transition").Select(h => h.To).ToList();
        Assert.Equal([RolloutState.Canary, RolloutState.Waves, RolloutState.Complete], transitions);

        // Retained assignments: each edge got the new model on its own topic, the region topic last.
        var region = Assert.Single(fleet.Published, c => c.EdgeId is null);
        Assert.Equal((Topics.RegionModel("eu"), "eu-2", "rollout complete"), (region.Topic, region.ModelVersion, region.Reason));
        Assert.All(Five, e => Assert.Contains(fleet.Published, c => c.EdgeId == e && c.ModelVersion == "eu-2" && c.ShadowWindows == 300));
    }

    [Fact]
    public void Rollout_FailingCanaries_AbortAndEveryEdgeReturnsToLastGood()
    {
        var engine = new RolloutEngine("eu", "eu-1", Five, T0);
        var fleet = new FakeFleet("eu-1", Five);
        fleet.Edges["e1"].FailsOn.Add("eu-2");
        fleet.Edges["e2"].FailsOn.Add("eu-2");
        engine.Create(Plan(canaries: ["e1", "e2"]), T0);

        fleet.Run(engine, T0, TimeSpan.FromMinutes(1), T0.AddHours(1));

        var done = Assert.Single(engine.Finished);
        Assert.Equal(RolloutState.RolledBack, done.State);
        Assert.Contains("failed to load or run eu-2", done.AbortReason, StringComparison.Ordinal);
        Assert.Equal("eu-1", engine.LastGoodModel);
        Assert.All(fleet.Edges.Values, e => Assert.Equal("eu-1", e.Running));
        Assert.All(fleet.Edges.Values, e => Assert.Equal("eu-1", e.Assigned ?? "eu-1"));
        Assert.Contains(fleet.Published, c => c.EdgeId is null && c.ModelVersion == "eu-1" && c.Reason.StartsWith("rollback", StringComparison.Ordinal));
    }

    [Fact]
    public void Rollout_FailureInAWave_RollsBackCanariesToo()
    {
        var engine = new RolloutEngine("eu", "eu-1", Five, T0);
        var fleet = new FakeFleet("eu-1", Five);
        engine.Create(Plan(canaries: ["e1"]), T0);
        // e1 (canary) switches fine; whichever edges come in wave 1 hit an error at minute 15.
        fleet.Run(engine, T0, TimeSpan.FromMinutes(1), T0.AddMinutes(14));
        Assert.Equal(3, Running(fleet, "eu-2"));
        var waveEdge = fleet.Edges.First(kv => kv.Key != "e1" && kv.Value.Running == "eu-2").Value;
        waveEdge.Error = "run failed: output NaN";
        fleet.Run(engine, T0.AddMinutes(15), TimeSpan.FromMinutes(1), T0.AddHours(1));

        Assert.Equal(RolloutState.RolledBack, engine.Finished[^1].State);
        Assert.Contains("output NaN", engine.Finished[^1].AbortReason, StringComparison.Ordinal);
        Assert.All(fleet.Edges.Values, e => Assert.Equal("eu-1", e.Running));
        Assert.All(fleet.Published.Where(c => c.Reason.StartsWith("rollback", StringComparison.Ordinal)), c => Assert.Equal(0, c.ShadowWindows));
    }

    [Fact]
    public void Rollout_PinnedEdge_IsLeftAlone_AndUnpinReturnsItToTheRegionModel()
    {
        var engine = new RolloutEngine("eu", "eu-1", Five, T0);
        var fleet = new FakeFleet("eu-1", Five);
        fleet.Apply(engine.Pin("e3", "eu-0", T0, "ops", null));
        Assert.Equal("eu-0", fleet.Edges["e3"].Running);
        engine.Create(Plan(), T0);

        fleet.Run(engine, T0, TimeSpan.FromMinutes(1), T0.AddHours(2));

        Assert.Equal(RolloutState.Complete, engine.Finished[^1].State);
        Assert.Equal("eu-0", fleet.Edges["e3"].Running);
        Assert.Equal(4, Running(fleet, "eu-2"));
        Assert.DoesNotContain("e3", engine.Finished[^1].Targets);

        fleet.Apply(engine.Unpin("e3", T0.AddHours(3), "ops", null));
        Assert.Equal("eu-2", fleet.Edges["e3"].Running);
        Assert.Throws<InvalidOperationException>(() => engine.Unpin("e3", T0.AddHours(3), "ops", null));
    }

    [Fact]
    public void Rollout_PinDuringRollout_RemovesEdgeFromIt()
    {
        var engine = new RolloutEngine("eu", "eu-1", Five, T0);
        var fleet = new FakeFleet("eu-1", Five);
        engine.Create(Plan(canaries: ["e1", "e2"]), T0);
        fleet.Run(engine, T0, TimeSpan.FromMinutes(1), T0.AddMinutes(2));
        Assert.Equal("eu-2", fleet.Edges["e2"].Running);
        fleet.Apply(engine.Pin("e2", "eu-1", T0.AddMinutes(3), "ops", null));
        Assert.Equal("eu-1", fleet.Edges["e2"].Running);
        fleet.Run(engine, T0.AddMinutes(3), TimeSpan.FromMinutes(1), T0.AddHours(2));
        Assert.Equal(RolloutState.Complete, engine.Finished[^1].State);
        Assert.Equal("eu-1", fleet.Edges["e2"].Running);
    }

    [Fact]
    public void Rollout_SilentCanary_RollsBack()
    {
        var engine = new RolloutEngine("eu", "eu-1", Five, T0);
        var fleet = new FakeFleet("eu-1", Five);
        engine.Create(Plan(), T0);
        fleet.Run(engine, T0, TimeSpan.FromMinutes(1), T0.AddMinutes(2));
        fleet.Edges["e1"].Silent = true;
        fleet.Run(engine, T0.AddMinutes(3), TimeSpan.FromMinutes(1), T0.AddHours(1));
        Assert.Equal(RolloutState.RolledBack, engine.Finished[^1].State);
        Assert.Contains("e1 silent", engine.Finished[^1].AbortReason, StringComparison.Ordinal);
    }

    [Fact]
    public void Rollout_OfflineWillMessage_CountsAsSilence()
    {
        var engine = new RolloutEngine("eu", "eu-1", Five, T0);
        var fleet = new FakeFleet("eu-1", Five);
        engine.Create(Plan(), T0);
        fleet.Run(engine, T0, TimeSpan.FromMinutes(1), T0.AddMinutes(2));
        fleet.Edges["e1"].Silent = true;
        engine.Tick(T0.AddMinutes(3), [new EdgeObservation { EdgeId = "e1", At = T0.AddMinutes(3), Online = false }]);
        fleet.Run(engine, T0.AddMinutes(4), TimeSpan.FromMinutes(1), T0.AddHours(1));
        Assert.Equal(RolloutState.RolledBack, engine.Finished[^1].State);
        Assert.Contains("offline", engine.Finished[^1].AbortReason, StringComparison.Ordinal);
    }

    [Fact]
    public void Rollout_ShadowDisagreement_RollsBack()
    {
        var engine = new RolloutEngine("eu", "eu-1", Five, T0);
        var fleet = new FakeFleet("eu-1", Five);
        engine.Create(Plan(), T0);
        var e1 = fleet.Edges["e1"];
        e1.FailsOn.Add("eu-2"); // keep it shadowing: it never switches in this scenario
        e1.Error = null;
        engine.Tick(T0, []);
        var commands = engine.Tick(T0.AddMinutes(1),
            [new EdgeObservation { EdgeId = "e1", At = T0.AddMinutes(1), ModelVersion = "eu-1", CandidateVersion = "eu-2", ShadowAgreement = 0.7 }]);
        Assert.Equal(RolloutState.RolledBack, engine.Finished[^1].State);
        Assert.Contains("shadow disagreement 0.3", engine.Finished[^1].AbortReason, StringComparison.Ordinal);
        Assert.Contains(commands, c => c.EdgeId == "e1" && c.ModelVersion == "eu-1");
    }

    [Fact]
    public void Rollout_ClinicianOverrides_RollBack_OnlyWithEnoughSamples()
    {
        var engine = new RolloutEngine("eu", "eu-1", Five, T0);
        engine.Create(Plan(), T0);
        engine.Tick(T0, []);
        engine.Tick(T0.AddMinutes(1), [new EdgeObservation { EdgeId = "e1", At = T0.AddMinutes(1), ModelVersion = "eu-2", OverrideRate = 0.9, OverrideSamples = 3 }]);
        Assert.NotNull(engine.Active);
        engine.Tick(T0.AddMinutes(2), [new EdgeObservation { EdgeId = "e1", At = T0.AddMinutes(2), ModelVersion = "eu-2", OverrideRate = 0.6, OverrideSamples = 40 }]);
        Assert.Null(engine.Active);
        Assert.Contains("clinicians overrode 0.6", engine.Finished[^1].AbortReason, StringComparison.Ordinal);
    }

    [Fact]
    public void Rollout_EdgeThatNeverSwitches_RollsBackAfterActivationTimeout()
    {
        var engine = new RolloutEngine("eu", "eu-1", Five, T0);
        var fleet = new FakeFleet("eu-1", Five);
        engine.Create(Plan(), T0);
        fleet.Edges["e1"].FailsOn.Add("eu-2");
        fleet.Edges["e1"].Error = null;
        var ticks = 0;
        fleet.Run(engine, T0, TimeSpan.FromMinutes(1), T0.AddHours(1), _ =>
        {
            fleet.Edges["e1"].Error = null; // reports no error, just keeps the old model
            ticks++;
            return true;
        });
        Assert.Equal(RolloutState.RolledBack, engine.Finished[^1].State);
        Assert.Contains("still runs eu-1", engine.Finished[^1].AbortReason, StringComparison.Ordinal);
        Assert.InRange(ticks, 6, 8);
    }

    [Fact]
    public void Rollout_PauseHoldsWaves_ResumeContinues_AbortByOperatorRollsBack()
    {
        var engine = new RolloutEngine("eu", "eu-1", Five, T0);
        var fleet = new FakeFleet("eu-1", Five);
        engine.Create(Plan(), T0);
        fleet.Run(engine, T0, TimeSpan.FromMinutes(1), T0.AddMinutes(2));
        engine.Pause(T0.AddMinutes(2), "ops", "night shift");
        fleet.Run(engine, T0.AddMinutes(3), TimeSpan.FromMinutes(1), T0.AddMinutes(40));
        Assert.Equal(RolloutState.Paused, engine.Active!.State);
        Assert.Equal(1, Running(fleet, "eu-2"));
        engine.Resume(T0.AddMinutes(41), "ops", null);
        fleet.Run(engine, T0.AddMinutes(41), TimeSpan.FromMinutes(1), T0.AddMinutes(45));
        Assert.Equal(RolloutState.Waves, engine.Active!.State);
        Assert.Equal(3, Running(fleet, "eu-2"));

        fleet.Apply(engine.Abort(T0.AddMinutes(46), "ops", "clinical lead asked"));
        Assert.All(fleet.Edges.Values, e => Assert.Equal("eu-1", e.Running));
        Assert.Equal("operator rollback: clinical lead asked", engine.Finished[^1].AbortReason);
        Assert.Throws<InvalidOperationException>(() => engine.Abort(T0.AddMinutes(47), "ops", "again"));
    }

    [Fact]
    public void Rollout_SnapshotRoundTripsThroughJson_AndContinues()
    {
        var engine = new RolloutEngine("eu", "eu-1", Five, T0);
        var fleet = new FakeFleet("eu-1", Five);
        fleet.Apply(engine.Pin("e5", "eu-1", T0, "ops", null));
        engine.Create(Plan(), T0);
        fleet.Run(engine, T0, TimeSpan.FromMinutes(1), T0.AddMinutes(12));

        var json = JsonSerializer.Serialize(engine.Snapshot(), LearningJson.Default.RolloutSnapshot);
        var restored = RolloutEngine.Restore(JsonSerializer.Deserialize(json, LearningJson.Default.RolloutSnapshot)!);
        Assert.Equal(RolloutState.Waves, restored.Active!.State);
        Assert.Equal("eu-1", restored.Pins["e5"]);

        fleet.Run(restored, T0.AddMinutes(13), TimeSpan.FromMinutes(1), T0.AddHours(2));
        Assert.Equal(RolloutState.Complete, restored.Finished[^1].State);
        Assert.Equal(4, Running(fleet, "eu-2"));
        Assert.Contains("\"state\":\"Complete\"", JsonSerializer.Serialize(restored.Snapshot(), LearningJson.Default.RolloutSnapshot), StringComparison.Ordinal);
    }

    [Fact]
    public void Rollout_CanaryPercentage_PicksRoundedUpShare()
    {
        var edges = Enumerable.Range(1, 10).Select(i => $"edge-{i:00}").ToArray();
        var engine = new RolloutEngine("eu", "eu-1", edges, T0);
        engine.Create(Plan(canaryPercent: 15), T0);
        var commands = engine.Tick(T0, []);
        Assert.Equal(2, commands.Count(c => c.EdgeId is not null));
        Assert.Equal(2, engine.Active!.CanaryCount);
    }

    [Fact]
    public void Create_InvalidPlans_ThrowClearly()
    {
        var engine = new RolloutEngine("eu", "eu-1", Five, T0);
        Assert.Contains("not known", Assert.Throws<InvalidOperationException>(() => engine.Create(Plan(canaries: ["zz"]), T0)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => engine.Create(Plan() with { CanaryEdges = null }, T0));
        Assert.Throws<ArgumentException>(() => engine.Create(Plan() with { Region = "na" }, T0));
        Assert.Throws<ArgumentException>(() => engine.Create(Plan() with { Waves = [new RolloutWave { Percent = 0 }] }, T0));
        Assert.Contains("already the region's model", Assert.Throws<InvalidOperationException>(() => engine.Create(Plan() with { ModelVersion = "eu-1" }, T0)).Message, StringComparison.Ordinal);
        engine.Create(Plan(), T0);
        Assert.Contains("finish, abort or roll it back", Assert.Throws<InvalidOperationException>(() => engine.Create(Plan("r2"), T0)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AssignmentCommand_ToAssignment_CarriesSignatureAndHash()
    {
        var model = new RegisteredModel
        {
            Version = "eu-2", Region = "eu", TrainingMode = "full", FeatureSchemaId = FeatureSchema.Id, Sha256 = "ab", Signature = "sig",
            Status = ModelStatus.Approved,
        };
        var command = new AssignmentCommand { Region = "eu", EdgeId = "e1", ModelVersion = "eu-2", RolloutId = "r1", ShadowWindows = 300, Reason = "canary" };
        var a = command.ToAssignment(model, "http://hub/api/models/eu-2/onnx", T0);
        Assert.Equal(("eu-2", "e1", "ab", "sig", 300, "r1"), (a.ModelVersion, a.EdgeId, a.Sha256, a.Signature, a.ShadowWindows, a.RolloutId));
        Assert.Equal(Topics.EdgeModel("e1"), command.Topic);
        Assert.Throws<ArgumentException>(() => (command with { ModelVersion = "eu-3" }).ToAssignment(model, null, T0));
    }

    [Fact]
    public void Reconcile_ListsEveryEdgesIntendedModel()
    {
        var engine = new RolloutEngine("eu", "eu-1", Five, T0);
        engine.Pin("e4", "eu-0", T0, "ops", null);
        var commands = engine.Reconcile();
        Assert.Equal(6, commands.Count);
        Assert.Equal("eu-0", commands.Single(c => c.EdgeId == "e4").ModelVersion);
        Assert.Equal("eu-1", commands.Single(c => c.EdgeId is null).ModelVersion);
    }

    [Fact]
    public void Rollout_ErrorThatPredatesTheAssignment_DoesNotAbort_ButANewOneDoes()
    {
        var engine = new RolloutEngine("eu", "eu-1", Five, T0);
        var fleet = new FakeFleet("eu-1", Five);
        fleet.Edges["e1"].Error = "old trouble with eu-0";
        engine.Create(Plan(), T0);
        fleet.Run(engine, T0, TimeSpan.FromMinutes(1), T0.AddMinutes(5));
        Assert.Equal(RolloutState.Canary, engine.Active!.State);
        fleet.Edges["e1"].Error = "run failed: shape mismatch";
        fleet.Run(engine, T0.AddMinutes(6), TimeSpan.FromMinutes(1), T0.AddHours(1));
        Assert.Equal(RolloutState.RolledBack, engine.Finished[^1].State);
        Assert.Contains("shape mismatch", engine.Finished[^1].AbortReason, StringComparison.Ordinal);
    }

    [Fact]
    public void SetRegionModel_FirstModel_AssignsEveryEdge_RefusedDuringRollout()
    {
        var engine = new RolloutEngine("eu", null, Five, T0);
        var fleet = new FakeFleet("none", Five);
        fleet.Apply(engine.SetRegionModel("eu-1", T0, "first approved model"));
        Assert.All(fleet.Edges.Values, e => Assert.Equal("eu-1", e.Running));
        Assert.Equal("eu-1", engine.LastGoodModel);
        engine.Create(Plan(), T0);
        Assert.Throws<InvalidOperationException>(() => engine.SetRegionModel("eu-3", T0, "x"));
    }
}
