using EdgeHub.Hub.Hosting;
using EdgeHub.Hub.Options;

namespace EdgeHub.Hub.Tests.Support;

/// <summary>
/// Entry point of the test assembly when started as a process (<c>dotnet EdgeHub.Hub.Tests.dll hub --config FILE</c>): runs
/// a hub node exactly as <c>./edgehub hub --config FILE</c> does (same loader, same host), so multi-node tests can SIGKILL a
/// real process without first building the whole CLI. The test runner never calls it.
/// </summary>
public static class HubNodeProgram
{
    public static async Task<int> Main(string[] args)
    {
        if (args is not ["hub", "--config", var file])
        {
            await Console.Error.WriteLineAsync("usage: EdgeHub.Hub.Tests hub --config FILE");
            return 2;
        }

        try
        {
            await HubApp.RunAsync(HubOptionsLoader.Load(file), CancellationToken.None);
            return 0;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidDataException or FileNotFoundException)
        {
            await Console.Error.WriteLineAsync("edgehub hub: " + ex.Message);
            return 1;
        }
    }
}
