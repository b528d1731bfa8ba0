using System.CommandLine;
using EdgeHub.Cli.Demo;

namespace EdgeHub.Cli.Commands;

/// <summary><c>./edgehub demo</c>: the whole loop on one machine.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var devices = new Option<int>("--devices") { Description = "simulated devices, split over the two regions", DefaultValueFactory = _ => 200 };
        var duration = new Option<double?>("--duration") { Description = "stop after this many seconds and write demo-summary.json (default: run until Ctrl-C)" };
        var data = new Option<string>("--data") { Description = "folder for everything the run writes", DefaultValueFactory = _ => "demo-data" };
        var seed = new Option<int>("--seed") { Description = "random seed of the simulator and the seed datasets", DefaultValueFactory = _ => 1 };
        var secure = new Option<bool>("--secure")
        {
            Description = "secure profile: private CA in DATA/pki, TLS only on the brokers and the hub API, per-client logins and ACLs",
        };
        var seedRecords = new Option<string?>("--seed-records")
        {
            Description = "folder of annotated WFDB records (e.g. ../shared/data/mitdb) added to each region's seed dataset as real patients",
        };
        var command = new Command("demo", "hub + one edge per region + simulated fleet + clinician bot; the learning loop closes")
        {
            devices, duration, data, seed, secure, seedRecords,
        };
        command.SetAction(async (ParseResult result, CancellationToken ct) =>
        {
            var n = result.GetValue(devices);
            if (n < 2)
            {
                throw new ArgumentException($"--devices must be at least 2 (one per region), got {n}");
            }

            var seconds = result.GetValue(duration);
            if (seconds is <= 0)
            {
                throw new ArgumentException($"--duration must be positive, got {seconds}");
            }

            var options = new DemoOptions(n, seconds is { } s ? TimeSpan.FromSeconds(s) : null, result.GetValue(data)!, result.GetValue(seed), result.GetValue(secure),
                result.GetValue(seedRecords));
            await using var runner = new DemoRunner(options, Console.Out);
            return await runner.RunAsync(ct).ConfigureAwait(false);
        });
        return command;
    }
}
