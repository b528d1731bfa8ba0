using System.CommandLine;

namespace EdgeHub.Cli.Commands;

internal static class DemoCommand
{
    public static Command Create() => NotBuilt.Create("demo", "hub + two edges + simulator + clinician bot", "the whole loop, issue 10");
}
