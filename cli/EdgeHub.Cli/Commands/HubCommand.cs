using System.CommandLine;

namespace EdgeHub.Cli.Commands;

internal static class HubCommand
{
    public static Command Create() => NotBuilt.Create("hub", "run a hub node", "the hub service, issue 7");
}
