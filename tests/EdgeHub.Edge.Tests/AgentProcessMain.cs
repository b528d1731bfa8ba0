using EdgeHub.Edge.Hosting;

namespace EdgeHub.Edge.Tests;

/// <summary>
/// Entry point of the test assembly. xunit never calls it; the SIGKILL tests start "dotnet EdgeHub.Edge.Tests.dll agent
/// --config FILE" to run a real agent process (the same <see cref="EdgeHost"/> that "edgehub edge" runs) they can kill.
/// </summary>
public static class AgentProcessMain
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length < 3 || args[0] != "agent" || args[1] != "--config")
        {
            await Console.Error.WriteLineAsync("usage: EdgeHub.Edge.Tests.dll agent --config FILE");
            return 2;
        }

        await using var app = EdgeHost.Build(args[2]);
        await app.RunAsync();
        return 0;
    }
}
