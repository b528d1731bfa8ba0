using System.CommandLine;

namespace EdgeHub.Cli.Commands;

internal static class EvalCommand
{
    public static Command Create() => NotBuilt.Create("eval", "score beat detection like WFDB bxb", "EdgeHub.Signals, issue 5");
}
