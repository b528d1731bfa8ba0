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
}
