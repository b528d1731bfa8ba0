using EdgeHub.Testing;

namespace EdgeHub.Contracts.Tests;

public class TestingHelpersTests
{
    [Fact]
    public void RepoPaths_Root_ContainsTheSolution()
    {
        Assert.True(File.Exists(Path.Combine(RepoPaths.Root, "EdgeHub.sln")));
    }

    [Fact]
    public async Task Eventually_ConditionNeverTrue_ThrowsNamingIt()
    {
        var ex = await Assert.ThrowsAsync<TimeoutException>(
            () => Eventually.TrueAsync(() => false, TimeSpan.FromMilliseconds(50), "the impossible"));
        Assert.Contains("the impossible", ex.Message, StringComparison.Ordinal);
    }
}
