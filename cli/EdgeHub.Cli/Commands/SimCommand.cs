using System.CommandLine;

namespace EdgeHub.Cli.Commands;

internal static class SimCommand
{
    public static Command Create() => NotBuilt.Create("sim", "device fleet simulator", "the simulator, issue 5");
}
