using System.Text.Json;
using System.Text.Json.Nodes;

namespace EdgeHub.Bench;

/// <summary>Every benchmark ends the same way: a table for people, then one JSON line, also saved under bench/results/NAME.json.</summary>
public static class BenchResult
{
    public static string ResultsDirectory =>
        Path.Combine(Environment.GetEnvironmentVariable("EDGEHUB_ROOT") ?? Directory.GetCurrentDirectory(), "bench", "results");

    public static void Write(string name, JsonObject result, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(output);
        var json = result.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
        Directory.CreateDirectory(ResultsDirectory);
        File.WriteAllText(Path.Combine(ResultsDirectory, name + ".json"), json + "\n");
        output.WriteLine(json);
    }
}
