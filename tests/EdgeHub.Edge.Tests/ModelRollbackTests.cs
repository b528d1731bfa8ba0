using EdgeHub.Edge.Models;
using EdgeHub.Edge.Tests.Support;
using EdgeHub.Testing;

namespace EdgeHub.Edge.Tests;

public class ModelRollbackTests
{
    [Fact]
    public async Task AssignmentOfThePreviousVersion_DeliveredTwiceBeforeItIsApplied_RollsBackOnce()
    {
        await using var harness = await AgentHarness.StartAsync();
        var models = harness.Agent.Models;
        Assert.True(await models.InstallAsync(TestModels.Assign("v1", TestModels.RuleModel("v1")), CancellationToken.None));
        await Eventually.TrueAsync(() => models.CurrentVersion == "v1", TimeSpan.FromSeconds(10), "v1 serving");
        Assert.True(await models.InstallAsync(TestModels.Assign("v2", TestModels.RuleModel("v2", bias: 0.2f)), CancellationToken.None));
        await Eventually.TrueAsync(() => models.CurrentVersion == "v2", TimeSpan.FromSeconds(10), "v2 serving");

        // The hub rolls back to v1; the retained assignment arrives twice (edge topic, then a redelivery) before the
        // inference thread applies the first. A plain swap would roll back and then forward again.
        var back = TestModels.Assign("v1", TestModels.RuleModel("v1"));
        Assert.True(await models.InstallAsync(back, CancellationToken.None));
        Assert.True(await models.InstallAsync(back, CancellationToken.None));
        // A shadow install queued after both: once it is applied, so are they (commands apply in order).
        Assert.True(await models.InstallAsync(TestModels.Assign("v3", TestModels.RuleModel("v3"), shadowWindows: 1000), CancellationToken.None));
        await Eventually.TrueAsync(() => models.ShadowVersion == "v3", TimeSpan.FromSeconds(10), "v3 shadow run started");

        Assert.Equal("v1", models.CurrentVersion);
        Assert.Equal("v2", models.PreviousVersion);
    }

    [Fact]
    public async Task Slots_ShowServingShadowAndPrevious_AsOneSnapshot_AndAQueuedCandidateIsNotInstalledTwice()
    {
        await using var harness = await AgentHarness.StartAsync();
        var models = harness.Agent.Models;
        Assert.Equal(new ModelManager.ModelSlots(null, null, null, 0, null), models.Slots);
        Assert.True(await models.InstallAsync(TestModels.Assign("v1", TestModels.RuleModel("v1")), CancellationToken.None));
        await Eventually.TrueAsync(() => models.CurrentVersion == "v1", TimeSpan.FromSeconds(10), "v1 serving");
        Assert.Equal(new ModelManager.ModelSlots("v1", null, null, 1, null), models.Slots);

        // The same shadow assignment twice in a row (a retained redelivery): the second finds it queued or shadowing.
        var v2 = TestModels.Assign("v2", TestModels.RuleModel("v2", bias: 0.2f), shadowWindows: 1_000_000);
        Assert.True(await models.InstallAsync(v2, CancellationToken.None));
        Assert.True(await models.InstallAsync(v2, CancellationToken.None));
        await Eventually.TrueAsync(() => models.Slots.Candidate == "v2", TimeSpan.FromSeconds(10), "v2 shadow run started");
        Assert.Single(harness.Logs.Lines, l => l.Contains("model v2 verified and loaded", StringComparison.Ordinal));
        var shadowing = models.Slots;
        Assert.Equal(("v1", "v2", (string?)null, 1L, "v2"), (shadowing.Current, shadowing.Candidate, shadowing.Previous, shadowing.Generation, shadowing.Shadow?.Version));
        var status = harness.Agent.BuildStatus(online: true);
        Assert.Equal(("v1", "v2", "v2"), (status.ModelVersion, status.CandidateVersion, status.ShadowVersion));

        // The hub rolls the candidate back by assigning the serving version again: the shadow run ends, v1 keeps serving.
        Assert.True(await models.InstallAsync(TestModels.Assign("v1", TestModels.RuleModel("v1")), CancellationToken.None));
        await Eventually.TrueAsync(() => models.Slots.Candidate is null, TimeSpan.FromSeconds(10), "v2 dropped");
        var after = models.Slots;
        Assert.Equal(("v1", (string?)null, (string?)null, 1L, "v2"), (after.Current, after.Candidate, after.Previous, after.Generation, after.Shadow?.Version));
    }
}
