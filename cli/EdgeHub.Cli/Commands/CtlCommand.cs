using System.CommandLine;

namespace EdgeHub.Cli.Commands;

internal static class CtlCommand
{
    public static Command Create() => NotBuilt.Create("ctl", "operator CLI against the hub API", "the interfaces, issue 9");
}
