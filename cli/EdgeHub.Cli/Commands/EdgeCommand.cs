using System.CommandLine;

namespace EdgeHub.Cli.Commands;

internal static class EdgeCommand
{
    public static Command Create() => NotBuilt.Create("edge", "run an edge agent", "the edge agent, issue 6");
}
