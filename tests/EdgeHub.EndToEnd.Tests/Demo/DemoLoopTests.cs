using System.Diagnostics;
using System.Text.Json.Nodes;

namespace EdgeHub.EndToEnd.Tests.Demo;

/// <summary>
/// The whole loop through the real command: `edgehub demo` as its own process (hub, two edges, fleets, clinician bots) must
/// exit 0, commit every row the edges sent exactly once, and close the learning loop (a retrained model active on an edge).
/// </summary>
public class DemoLoopTests
{
    [Fact]
    public async Task Demo_ShortRun_ClosesTheLoopAndCommitsEveryRowOnce()
    {
        var data = Path.Combine(Path.GetTempPath(), "edgehub-demo-" + Guid.NewGuid().ToString("N"));
        var cli = Path.Combine(AppContext.BaseDirectory, "edgehub.dll");
        Assert.True(File.Exists(cli), $"the edgehub CLI was not built next to the tests ({cli})");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { cli, "demo", "--devices", "20", "--duration", "100", "--data", data })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            await process.WaitForExitAsync(deadline.Token);
            var output = await stdout + await stderr;
            Assert.True(process.ExitCode == 0, $"demo exited {process.ExitCode}:\n{Tail(output)}");

            var summary = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(data, "demo-summary.json")))!.AsObject();
            Assert.True(summary["frames_processed"]!.GetValue<long>() > 0, "no frame processed");
            Assert.True(summary["alerts"]!.GetValue<long>() > 0, "no alert raised");
            Assert.True(summary["labels"]!.GetValue<long>() > 0, "no clinician label reached an edge");
            Assert.True(summary["deltas_sent"]!.GetValue<long>() > 0, "no delta sent");
            Assert.Equal(summary["deltas_sent"]!.GetValue<long>(), summary["deltas_committed"]!.GetValue<long>());
            Assert.Equal(summary["rows_sent"]!.GetValue<long>(), summary["rows_committed"]!.GetValue<long>());
            Assert.True(summary["closed_loops"]!.GetValue<int>() >= 1, $"the learning loop did not close: {summary.ToJsonString()}");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            try
            {
                Directory.Delete(data, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static string Tail(string text) => text.Length <= 4000 ? text : text[^4000..];
}
