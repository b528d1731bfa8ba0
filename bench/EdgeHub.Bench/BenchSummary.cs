using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace EdgeHub.Bench;

/// <summary>
/// Turns every bench/results/*.json into bench/results/summary.md: the machine, each figure against its target, each ratio
/// against its anchor, a bar chart of the ratios (ratios.svg) and the edge pipeline's latency against offered load (latency.svg).
/// </summary>
public static class BenchSummary
{
    /// <summary>A headline figure and the target ARCHITECTURE.md sets for it.</summary>
    private sealed record Target(string Bench, string Key, string Label, string Op, double Value);

    private static readonly Target[] Targets =
    [
        new("mqtt", "min_ratio", "broker fan-in/fan-out vs mosquitto (lowest ratio)", ">=", 1.0),
        new("mqtt", "rss_mb_idle.ours", "broker RSS with 10,000 idle clients (MB)", "<=", 200),
        new("inference", "us_per_window.64", "ORT inference per window at batch 64 (µs)", "<=", 3.0),
        new("parquet", "min_write_ratio", "Parquet write vs DuckDB single-thread (lowest ratio)", ">=", 1.0),
        new("pipeline", "max_sustained_fps", "edge pipeline sustained (frames/s)", ">=", 20_000),
        new("pipeline", "p99_ms_at_5000fps", "edge p99 publish→feedback at 5,000 frames/s (ms)", "<=", 10),
        new("pipeline", "rss_mb_10k_devices", "edge agent RSS at 10,000 devices (MB)", "<=", 300),
        new("retrain", "time_ratio", "differential / full retrain time", "<=", 0.10),
        new("retrain", "metric_diff", "macro AUROC, differential minus full (absolute)", "abs<=", 0.005),
    ];

    /// <summary>Writes the summary and its charts; returns the summary's path. <paramref name="output"/> gets the ratio table.</summary>
    public static string Write(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var dir = BenchResult.ResultsDirectory;
        Directory.CreateDirectory(dir);
        var results = Load(dir);
        var md = new StringBuilder();
        md.AppendLine("# EdgeHub benchmark results").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Machine: {Machine()}. Summary written {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC from the results below.").AppendLine();

        md.AppendLine("## Figures against targets").AppendLine().AppendLine("| figure | measured | target | met |").AppendLine("|---|---|---|---|");
        foreach (var t in Targets)
        {
            if (results.TryGetValue(t.Bench, out var json) && Number(json, t.Key) is { } value)
            {
                var met = t.Op switch { ">=" => value >= t.Value, "<=" => value <= t.Value, _ => Math.Abs(value) <= t.Value };
                var target = (t.Op == "abs<=" ? "≤ " : t.Op == ">=" ? "≥ " : "≤ ") + t.Value.ToString("0.###", CultureInfo.InvariantCulture);
                md.AppendLine(CultureInfo.InvariantCulture, $"| {t.Label} | {(t.Op == "abs<=" ? Math.Abs(value) : value):0.####} | {target} | {(met ? "yes" : "**no**")} |");
            }
        }

        md.AppendLine().AppendLine("## Ratios against anchors").AppendLine().AppendLine("| bench | case | ratio |").AppendLine("|---|---|---|");
        var ratios = new List<(string Label, double Ratio)>();
        foreach (var (name, json) in results)
        {
            foreach (var (label, ratio) in Ratios(name, json))
            {
                ratios.Add(($"{name}/{label}", ratio));
                md.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {label} | {ratio:0.00} |");
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio {name}/{label}: {ratio:0.00}"));
            }
        }

        md.AppendLine();
        if (ratios.Count > 0)
        {
            File.WriteAllText(Path.Combine(dir, "ratios.svg"), SvgCharts.Bars(ratios));
            md.AppendLine("![ratios against anchors](ratios.svg)").AppendLine();
        }

        if (results.TryGetValue("pipeline", out var pipeline) && pipeline["points"] is JsonArray points && points.Count > 1)
        {
            File.WriteAllText(Path.Combine(dir, "latency.svg"), SvgCharts.LatencyAgainstLoad(points));
            md.AppendLine("## Edge pipeline: latency against load").AppendLine().AppendLine("![p50 and p99 publish→feedback latency against offered frames/s](latency.svg)").AppendLine();
        }

        md.AppendLine("## Raw results").AppendLine();
        foreach (var (name, json) in results)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"### {name}").AppendLine().AppendLine("```json").AppendLine(json.ToJsonString()).AppendLine("```").AppendLine();
        }

        var path = Path.Combine(dir, "summary.md");
        File.WriteAllText(path, md.ToString());
        return path;
    }

    private static SortedDictionary<string, JsonObject> Load(string dir)
    {
        var results = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var file in Directory.GetFiles(dir, "*.json"))
        {
            try
            {
                if (JsonNode.Parse(File.ReadAllText(file)) is JsonObject json)
                {
                    results[json["bench"]?.ToString() ?? Path.GetFileNameWithoutExtension(file)] = json;
                }
            }
            catch (System.Text.Json.JsonException)
            {
                // A half-written result (a bench killed mid-write) is left out of the summary, not fatal to it.
            }
        }

        if (results.TryGetValue("parquet", out var parquet))
        {
            // The Parquet target is on writes only; reads are reported as ratios without one.
            var min = double.PositiveInfinity;
            foreach (var (label, ratio) in Ratios("parquet", parquet))
            {
                min = label.Contains("write", StringComparison.Ordinal) ? Math.Min(min, ratio) : min;
            }

            parquet["min_write_ratio"] = double.IsFinite(min) ? Math.Round(min, 3) : null;
        }

        return results;
    }

    private static IEnumerable<(string Label, double Ratio)> Ratios(string name, JsonObject json)
    {
        if (json["cases"] is JsonArray cases)
        {
            foreach (var c in cases)
            {
                if (c?["ratio"] is JsonValue r && r.TryGetValue(out double ratio))
                {
                    yield return (c["case"]?.ToString() ?? "?", ratio);
                }
            }
        }
        else if (name == "retrain" && Number(json, "time_ratio") is > 0 and var t)
        {
            // Full retrain is the anchor: how many times faster the differential retrain is.
            yield return ("full÷differential time", 1 / t);
        }
    }

    /// <summary>The number at <paramref name="path"/> (dot-separated for nested objects), or null.</summary>
    private static double? Number(JsonObject json, string path)
    {
        JsonNode? node = json;
        foreach (var part in path.Split('.'))
        {
            node = node is JsonObject o ? o[part] : null;
        }

        return node is JsonValue v && v.TryGetValue(out double d) ? d : null;
    }

    private static string Machine()
    {
        var cpu = "unknown CPU";
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
            {
                if (line.StartsWith("model name", StringComparison.Ordinal))
                {
                    cpu = line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
                    break;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        var memGb = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024);
        return string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessorCount} cores ({cpu}), {memGb:0} GiB, {Environment.OSVersion}, .NET {Environment.Version}");
    }
}
