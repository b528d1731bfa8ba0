using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

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
            Task.FromResult(ParquetBench.Run(new ParquetBenchOptions { Rows = IntArg(args, "--rows", 10_000_000) }, Console.Out))),
        new("mqtt", "mosquitto 2.0, same load and limits", MqttBench.RunAsync),
        new("pipeline", "20,000 frames/s; p99 ≤ 10 ms at 5,000/s; ≤ 300 MB at 10,000 devices", PipelineBench.RunAsync),
        new("retrain", "full retrain on the same rows", RetrainBench.RunAsync),
        new("hub", "DatasetStore commits without the hub", HubBench.RunAsync),
    ];

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

    /// <summary>Runs one benchmark by name, or all of them followed by the Markdown summary.</summary>
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

            var summary = WriteSummary();
            output.WriteLine($"summary: {summary}");
            return failures == 0 ? 0 : 1;
        }

        foreach (var bench in All)
        {
            if (bench.Name == name)
            {
                return await bench.RunAsync(args, ct).ConfigureAwait(false);
            }
        }

        throw new ArgumentException($"unknown or not yet built benchmark '{name}'; available: {string.Join(", ", Names())}, all");
    }

    /// <summary>Names of the registered benchmarks.</summary>
    public static IEnumerable<string> Names()
    {
        foreach (var bench in All)
        {
            yield return bench.Name;
        }
    }

    /// <summary>Writes bench/results/summary.md from every bench/results/*.json, with an SVG bar chart of the ratios.</summary>
    public static string WriteSummary()
    {
        var dir = BenchResult.ResultsDirectory;
        Directory.CreateDirectory(dir);
        var md = new StringBuilder();
        md.AppendLine("# EdgeHub benchmark results").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}; {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC.").AppendLine();
        var ratios = new List<(string Label, double Ratio)>();
        foreach (var file in Directory.GetFiles(dir, "*.json").Order(StringComparer.Ordinal))
        {
            JsonObject? json;
            try
            {
                json = JsonNode.Parse(File.ReadAllText(file)) as JsonObject;
            }
            catch (System.Text.Json.JsonException)
            {
                continue;
            }

            if (json is null)
            {
                continue;
            }

            var name = json["bench"]?.ToString() ?? Path.GetFileNameWithoutExtension(file);
            md.AppendLine(CultureInfo.InvariantCulture, $"## {name}").AppendLine().AppendLine("```json").AppendLine(json.ToJsonString()).AppendLine("```").AppendLine();
            if (json["cases"] is JsonArray cases)
            {
                foreach (var c in cases)
                {
                    if (c?["ratio"] is JsonValue r && r.TryGetValue(out double ratio))
                    {
                        ratios.Add(($"{name}/{c["case"]}", ratio));
                    }
                }
            }
        }

        if (ratios.Count > 0)
        {
            File.WriteAllText(Path.Combine(dir, "ratios.svg"), BarChart(ratios));
            md.AppendLine("![ratios against anchors](ratios.svg)");
        }

        var path = Path.Combine(dir, "summary.md");
        File.WriteAllText(path, md.ToString());
        return path;
    }

    private static string BarChart(List<(string Label, double Ratio)> bars)
    {
        const int rowHeight = 22, labelWidth = 260, barWidth = 400;
        var max = 1.0;
        foreach (var (_, ratio) in bars)
        {
            max = Math.Max(max, ratio);
        }

        var svg = new StringBuilder();
        var height = (bars.Count * rowHeight) + 30;
        svg.AppendLine(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{labelWidth + barWidth + 80}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">");
        var oneX = labelWidth + (barWidth / max);
        svg.AppendLine(CultureInfo.InvariantCulture, $"<line x1=\"{oneX:0.#}\" y1=\"0\" x2=\"{oneX:0.#}\" y2=\"{height - 20}\" stroke=\"#c00\" stroke-dasharray=\"4\"/><text x=\"{oneX:0.#}\" y=\"{height - 6}\" fill=\"#c00\">ratio 1.0</text>");
        for (var i = 0; i < bars.Count; i++)
        {
            var (label, ratio) = bars[i];
            var y = i * rowHeight;
            var w = barWidth * ratio / max;
            var colour = ratio >= 1 ? "#2a7" : "#d83";
            svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{labelWidth - 6}\" y=\"{y + 15}\" text-anchor=\"end\">{System.Security.SecurityElement.Escape(label)}</text>");
            svg.AppendLine(CultureInfo.InvariantCulture, $"<rect x=\"{labelWidth}\" y=\"{y + 4}\" width=\"{w:0.#}\" height=\"14\" fill=\"{colour}\"/><text x=\"{labelWidth + w + 4:0.#}\" y=\"{y + 15}\">{ratio:0.00}</text>");
        }

        svg.AppendLine("</svg>");
        return svg.ToString();
    }
}
