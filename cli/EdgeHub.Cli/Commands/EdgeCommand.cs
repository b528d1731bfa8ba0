using System.CommandLine;
using EdgeHub.Edge.Hosting;
using Microsoft.Extensions.Hosting;

namespace EdgeHub.Cli.Commands;

/// <summary><c>edgehub edge [--config FILE]</c>: runs an edge agent until Ctrl+C / SIGTERM.</summary>
internal static class EdgeCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo?>("--config") { Description = "JSON settings file with an \"Edge\" section (also: appsettings.json, EDGEHUB_Edge__* environment variables)" };
        var command = new Command("edge", "run an edge agent: device MQTT ingest, inference, alerts, store-and-forward deltas to the hub") { config };
        command.SetAction(async (ParseResult pr, CancellationToken ct) =>
        {
            var file = pr.GetValue(config);
            await using var app = EdgeHost.Build(file?.FullName);
            await app.StartAsync(ct);
            await app.WaitForShutdownAsync(ct);
            return 0;
        });
        return command;
    }
}
