using System.CommandLine;
using EdgeHub.Hub.Hosting;
using EdgeHub.Hub.Options;

namespace EdgeHub.Cli.Commands;

/// <summary>
/// <c>./edgehub hub [--config FILE]</c>: runs one hub node. With no settings at all it runs a single node on SQLite with an
/// embedded broker on port 1883, data under EDGEHUB_DATA (or ./data/hub), HTTP on ASPNETCORE_URLS (or http://localhost:5000).
/// Environment overrides use the prefix EDGEHUB_HUB_ (e.g. EDGEHUB_HUB_Catalog__Provider=postgres).
/// </summary>
internal static class HubCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo?>("--config")
        {
            Description = "JSON settings: NodeId, DataRoot, Regions, Edges {edge: region}, AutoRegisterEdges, Catalog {Provider: sqlite|postgres, "
                + "ConnectionString}, Broker {Mode: embedded|external, Host, Port, Username, Password}, Api {Tokens {token: operator|viewer|edge}, PublicUrl}, "
                + "Learning {...}, MaxDeltaBytes, SigningKeyPath",
        };
        var command = new Command("hub", "run a hub node: delta ingest, catalog, learning loop, rollouts, REST API") { config };
        command.SetAction(async (ParseResult pr, CancellationToken ct) =>
        {
            var options = HubOptionsLoader.Load(pr.GetValue(config)?.FullName);
            await HubApp.RunAsync(options, ct).ConfigureAwait(false);
            return 0;
        });
        return command;
    }
}
