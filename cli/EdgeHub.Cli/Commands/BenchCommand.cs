using System.CommandLine;
using EdgeHub.Bench;

namespace EdgeHub.Cli.Commands;

/// <summary><c>./edgehub bench NAME|all [args]</c>: benchmarks side by side with their anchors.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("name") { Description = "mqtt | inference | parquet | pipeline | retrain | hub | all | summary (rewrite bench/results/summary.md from saved results)" };
        var rest = new Argument<string[]>("args") { Description = "options passed to the benchmark", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("bench", "benchmarks side by side with their anchors; prints ratios and a JSON line") { name, rest };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (ParseResult result, CancellationToken ct) =>
        {
            var args = new List<string>(result.GetValue(rest) ?? []);
            args.AddRange(result.UnmatchedTokens);
            return await BenchSuite.RunAsync(result.GetValue(name)!, [.. args], Console.Out, ct).ConfigureAwait(false);
        });
        return command;
    }
}
