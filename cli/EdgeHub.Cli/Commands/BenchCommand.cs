using System.CommandLine;

namespace EdgeHub.Cli.Commands;

internal static class BenchCommand
{
    public static Command Create() => NotBuilt.Create("bench", "benchmarks beside their anchors", "the benchmark suite, issue 10");
}
