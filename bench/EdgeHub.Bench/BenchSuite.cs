namespace EdgeHub.Bench;

/// <summary>One benchmark: runs its cases beside its anchor, prints a table, and writes its JSON via <see cref="BenchResult"/>.</summary>
public sealed record BenchDefinition(string Name, string Anchor, Func<string[], CancellationToken, Task<int>> RunAsync);

/// <summary>The benchmark suite behind <c>./edgehub bench NAME|all</c>.</summary>
public static class BenchSuite
{
    /// <summary>Every benchmark, in the order <c>all</c> runs them.</summary>
    public static IReadOnlyList<BenchDefinition> All { get; } =
    [
        new("inference", "3 µs/window target", async (args, ct) =>
        {
            await InferenceBench.RunAsync(Console.Out, new InferenceBenchOptions(), ct).ConfigureAwait(false);
            return 0;
        }),
        new("parquet", "DuckDB single-thread", (args, _) =>
            Task.FromResult(ParquetBench.Run(ParquetOptions(args), Console.Out))),
        new("mqtt", "mosquitto 2.0, same load and limits", MqttBench.RunAsync),
        new("pipeline", "20,000 frames/s; p99 ≤ 10 ms at 5,000/s; ≤ 300 MB at 10,000 devices", PipelineBench.RunAsync),
        new("retrain", "full retrain on the same rows", RetrainBench.RunAsync),
        new("hub", "DatasetStore commits without the hub", HubBench.RunAsync),
        new("store", "the SQLite edge store (shipping), same records and batches", StoreBench.RunAsync),
    ];

    private static ParquetBenchOptions ParquetOptions(string[] args)
    {
        var options = new ParquetBenchOptions { Rows = IntArg(args, "--rows", 10_000_000) };
        var codecs = Array.IndexOf(args, "--codecs");
        if (codecs >= 0)
        {
            options.Codecs = codecs + 1 < args.Length ? ParquetBenchOptions.ParseCodecs(args[codecs + 1]) : throw new ArgumentException("--codecs needs a list such as none,snappy,gzip,brotli");
        }

        return options;
    }

    /// <summary>Reads an integer option such as <c>--rows 100000</c>, or the default.</summary>
    public static int IntArg(string[] args, string name, int fallback)
    {
        ArgumentNullException.ThrowIfNull(args);
        for (var i = 0; i + 1 < args.Length; i++)
        {
            if (args[i] == name)
            {
                return int.TryParse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture, out var value) && value > 0
                    ? value
                    : throw new ArgumentException($"{name} needs a positive integer, got '{args[i + 1]}'");
            }
        }

        return fallback;
    }

    /// <summary>Reads a required string option such as <c>--dir /tmp/x</c>.</summary>
    public static string StringArg(string[] args, string name)
    {
        ArgumentNullException.ThrowIfNull(args);
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{name} is required");
    }

    /// <summary>Runs one benchmark by name, or all of them followed by the Markdown summary, or (<c>summary</c>) only the summary.</summary>
    public static async Task<int> RunAsync(string name, string[] args, TextWriter output, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (name == "all")
        {
            var failures = 0;
            foreach (var bench in All)
            {
                output.WriteLine($"== bench {bench.Name} (anchor: {bench.Anchor}) ==");
                try
                {
                    failures += await bench.RunAsync(args, ct).ConfigureAwait(false) == 0 ? 0 : 1;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    output.WriteLine($"bench {bench.Name} failed: {ex.Message}");
                    failures++;
                }
            }

            var summary = BenchSummary.Write(output);
            output.WriteLine($"summary: {summary}");
            return failures == 0 ? 0 : 1;
        }

        if (name == "store-child")
        {
            // The kill audit's child process (StoreKillAudit), not a benchmark of its own.
            return StoreKillAudit.RunChild(StringArg(args, "--store"), StringArg(args, "--dir"), IntArg(args, "--max-keys", int.MaxValue), output);
        }

        if (name == "summary")
        {
            output.WriteLine($"summary: {BenchSummary.Write(output)}");
            return 0;
        }

        foreach (var bench in All)
        {
            if (bench.Name == name)
            {
                return await bench.RunAsync(args, ct).ConfigureAwait(false);
            }
        }

        throw new ArgumentException($"unknown benchmark '{name}'; available: {string.Join(", ", Names())}, all, summary (rewrites the summary from saved results)");
    }

    /// <summary>Names of the registered benchmarks.</summary>
    public static IEnumerable<string> Names()
    {
        foreach (var bench in All)
        {
            yield return bench.Name;
        }
    }
}
