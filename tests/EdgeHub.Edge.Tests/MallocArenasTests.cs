using EdgeHub.Edge.Hosting;

namespace EdgeHub.Edge.Tests;

public class MallocArenasTests
{
    [Fact]
    public void Limit_GlibcWithoutExplicitSetting_IsAccepted()
    {
        // This machine kind is Debian (glibc); an operator's MALLOC_ARENA_MAX must win over the agent's own cap.
        Assert.True(OperatingSystem.IsLinux(), "the edge targets Linux");
        var explicitSetting = Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX");
        Assert.Equal(explicitSetting is null, MallocArenas.Limit());
        Assert.Equal(explicitSetting is null, MallocArenas.Limit()); // idempotent
    }
}
