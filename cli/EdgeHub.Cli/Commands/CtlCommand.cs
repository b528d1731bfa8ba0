using System.CommandLine;
using System.Text.Json.Nodes;
using EdgeHub.Cli.Ctl;

namespace EdgeHub.Cli.Commands;

/// <summary>
/// <c>./edgehub ctl &lt;edges|datasets|models|rollouts&gt; &lt;verb&gt;</c>: the operator CLI, the same operations as the hub's REST API,
/// printed as tables or <c>--json</c>. On error it exits 1 with the hub's reason.
/// </summary>
internal static class CtlCommand
{
    private static readonly Option<string?> Hub = new("--hub") { Description = "hub base URL (default: EDGEHUB_HUB_URL or http://localhost:5000)", Recursive = true };
    private static readonly Option<string?> Token = new("--token") { Description = "bearer token (default: EDGEHUB_TOKEN, or the operator token file under EDGEHUB_DATA/keys)", Recursive = true };
    private static readonly Option<bool> Json = new("--json") { Description = "print the API's JSON instead of a table", Recursive = true };
    private static readonly Option<string?> Actor = new("--actor") { Description = "who acts, kept in rollout histories (default: the OS user name)", Recursive = true };

    public static Command Create()
    {
        var command = new Command("ctl", "operator CLI against the hub API") { Hub, Token, Json, Actor };
        command.Subcommands.Add(Edges());
        command.Subcommands.Add(Datasets());
        command.Subcommands.Add(Models());
        command.Subcommands.Add(Rollouts());
        return command;
    }

    private static Command Edges()
    {
        var region = new Option<string?>("--region") { Description = "region" };
        var id = new Argument<string>("edge-id");
        var model = new Option<string>("--model") { Description = "model version", Required = true };
        var regionRequired = new Option<string>("--region") { Description = "region the edge belongs to", Required = true };
        var move = new Option<bool>("--move") { Description = "allow moving an edge registered in another region" };
        var reason = new Option<string?>("--reason") { Description = "why (kept in the region's rollout log)" };
        return Group("edges", "edge agents: registration, status, pins",
            Verb("list", "edges with region, status, model in use", [region], (r, api, ct) => api.GetAsync(Query("/api/v1/edges", ("region", r.GetValue(region))), ct)),
            Verb("get", "one edge", [id], (r, api, ct) => api.GetAsync($"/api/v1/edges/{Esc(r.GetValue(id))}", ct)),
            Verb("register", "register an edge in a region", [id, regionRequired, move], (r, api, ct) =>
                api.SendAsync(HttpMethod.Put, $"/api/v1/edges/{Esc(r.GetValue(id))}", new JsonObject { ["region"] = r.GetValue(regionRequired), ["move"] = r.GetValue(move) }, ct)),
            Verb("remove", "unregister an edge", [id], (r, api, ct) => api.SendAsync(HttpMethod.Delete, $"/api/v1/edges/{Esc(r.GetValue(id))}", null, ct)),
            Verb("rejections", "deltas the hub rejected from this edge, with reasons", [id], (r, api, ct) => api.GetAsync($"/api/v1/edges/{Esc(r.GetValue(id))}/rejections", ct)),
            Verb("pin", "pin an edge to a model version (rollouts skip it)", [id, model, reason], (r, api, ct) =>
                api.SendAsync(HttpMethod.Put, $"/api/v1/edges/{Esc(r.GetValue(id))}/pin",
                    new JsonObject { ["modelVersion"] = r.GetValue(model), ["reason"] = r.GetValue(reason), ["actor"] = ActorOf(r) }, ct)),
            Verb("unpin", "release a pinned edge", [id, reason], (r, api, ct) =>
                api.SendAsync(HttpMethod.Delete, Query($"/api/v1/edges/{Esc(r.GetValue(id))}/pin", ("reason", r.GetValue(reason)), ("actor", ActorOf(r))), null, ct)));
    }

    private static Command Datasets()
    {
        var region = new Argument<string>("region");
        var version = new Argument<long>("version");
        var from = new Option<long?>("--from") { Description = "older version" };
        var to = new Option<long?>("--to") { Description = "newer version (default: latest)" };
        return Group("datasets", "regional datasets: versions, commit log, diff, lineage",
            Verb("list", "one dataset per region", [], (r, api, ct) => api.GetAsync("/api/v1/datasets", ct)),
            Verb("get", "one region's dataset", [region], (r, api, ct) => api.GetAsync($"/api/v1/datasets/{Esc(r.GetValue(region))}", ct)),
            Verb("versions", "dataset versions with their deltas", [region], (r, api, ct) => api.GetAsync($"/api/v1/datasets/{Esc(r.GetValue(region))}/versions", ct)),
            Verb("commits", "the Delta commit log", [region], (r, api, ct) => api.GetAsync($"/api/v1/datasets/{Esc(r.GetValue(region))}/commits", ct)),
            Verb("diff", "what changed between two versions", [region, from, to], (r, api, ct) =>
                api.GetAsync(Query($"/api/v1/datasets/{Esc(r.GetValue(region))}/diff", ("from", r.GetValue(from)?.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("to", r.GetValue(to)?.ToString(System.Globalization.CultureInfo.InvariantCulture))), ct)),
            Verb("lineage", "deltas and edges behind a version", [region, version], (r, api, ct) =>
                api.GetAsync($"/api/v1/datasets/{Esc(r.GetValue(region))}/versions/{r.GetValue(version)}/lineage", ct)));
    }

    private static Command Models()
    {
        var region = new Option<string?>("--region") { Description = "region" };
        var regionRequired = new Option<string>("--region") { Description = "region to retrain", Required = true };
        var mode = new Option<string?>("--mode") { Description = "full or differential (default: the policy decides)" };
        var version = new Argument<string>("version");
        var output = new Option<string?>("--out") { Description = "file to write (default: VERSION.onnx)" };
        var download = new Command("download", "download a model's signed ONNX file") { version, output };
        download.SetAction(async (ParseResult r, CancellationToken ct) => await RunAsync(r, async (api, c) =>
        {
            var v = r.GetValue(version)!;
            var bytes = await api.GetBytesAsync($"/api/v1/models/{Esc(v)}/onnx", c).ConfigureAwait(false);
            var path = r.GetValue(output) ?? v + ".onnx";
            await File.WriteAllBytesAsync(path, bytes, c).ConfigureAwait(false);
            return new JsonObject { ["file"] = Path.GetFullPath(path), ["bytes"] = bytes.Length };
        }, ct).ConfigureAwait(false));
        return Group("models", "model registry: versions, metrics, lineage, ONNX files, retraining",
            Verb("list", "registered models, newest first", [region], (r, api, ct) => api.GetAsync(Query("/api/v1/models", ("region", r.GetValue(region))), ct)),
            Verb("get", "one model", [version], (r, api, ct) => api.GetAsync($"/api/v1/models/{Esc(r.GetValue(version))}", ct)),
            Verb("metrics", "holdout metrics against its parent", [version], (r, api, ct) => api.GetAsync($"/api/v1/models/{Esc(r.GetValue(version))}/metrics", ct)),
            Verb("lineage", "model → dataset versions → deltas → edges", [version], (r, api, ct) => api.GetAsync($"/api/v1/models/{Esc(r.GetValue(version))}/lineage", ct)),
            Verb("retrain", "retrain a region now", [regionRequired, mode], (r, api, ct) =>
                api.SendAsync(HttpMethod.Post, "/api/v1/models/retrain", new JsonObject { ["region"] = r.GetValue(regionRequired), ["mode"] = r.GetValue(mode) }, ct)),
            download);
    }

    private static Command Rollouts()
    {
        var region = new Option<string?>("--region") { Description = "region" };
        var id = new Argument<string>("rollout-id");
        var reason = new Option<string?>("--reason") { Description = "why (kept in the history)" };
        var createRegion = new Option<string>("--region") { Description = "region to roll out in", Required = true };
        var model = new Option<string>("--model") { Description = "model version", Required = true };
        var canary = new Option<string?>("--canary") { Description = "comma-separated canary edge ids" };
        var percent = new Option<double?>("--canary-percent") { Description = "canary share of the region's edges (0-100)" };
        var waves = new Option<string?>("--waves") { Description = "wave sizes in percent, e.g. 50,100" };
        var interval = new Option<double>("--interval") { Description = "seconds between waves", DefaultValueFactory = _ => 30 };
        var create = Verb("create", "start a rollout: canaries, then waves", [createRegion, model, canary, percent, waves, interval], (r, api, ct) =>
        {
            var body = new JsonObject { ["region"] = r.GetValue(createRegion), ["modelVersion"] = r.GetValue(model), ["actor"] = ActorOf(r) };
            if (r.GetValue(canary) is { Length: > 0 } c)
            {
                body["canaryEdges"] = new JsonArray([.. c.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(e => (JsonNode)e)]);
            }

            if (r.GetValue(percent) is { } p)
            {
                body["canaryPercent"] = p;
            }

            if (r.GetValue(waves) is { Length: > 0 } w)
            {
                var list = new JsonArray();
                foreach (var part in w.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    if (!double.TryParse(part, System.Globalization.CultureInfo.InvariantCulture, out var share) || share is <= 0 or > 100)
                    {
                        throw new ArgumentException($"--waves: '{part}' is not a percentage in (0, 100]");
                    }

                    list.Add(new JsonObject { ["percent"] = share, ["intervalSeconds"] = r.GetValue(interval) });
                }

                body["waves"] = list;
            }

            return api.SendAsync(HttpMethod.Post, "/api/v1/rollouts", body, ct);
        });
        var group = Group("rollouts", "regional rollouts: canary → waves → complete, or paused / rolled back",
            Verb("list", "rollouts with state", [region], (r, api, ct) => api.GetAsync(Query("/api/v1/rollouts", ("region", r.GetValue(region))), ct)),
            Verb("get", "one rollout", [id], (r, api, ct) => api.GetAsync($"/api/v1/rollouts/{Esc(r.GetValue(id))}", ct)),
            Verb("history", "every transition of a rollout, with actor and reason", [id], (r, api, ct) => api.GetAsync($"/api/v1/rollouts/{Esc(r.GetValue(id))}/history", ct)),
            Verb("log", "a region's rollout log: pins, unpins, model switches, every rollout event", [createRegion], (r, api, ct) =>
                api.GetAsync($"/api/v1/regions/{Esc(r.GetValue(createRegion))}/rollout-log", ct)),
            create);
        foreach (var (verb, text) in new[]
        {
            ("pause", "pause a rollout (no further edges switch; abort criteria still apply)"), ("resume", "resume a paused rollout"),
            ("promote", "start the next phase now (skips the bake time only: the current phase's edges must run the model healthy)"),
            ("rollback", "abort: roll every edge back to the last good model"), ("abort", "same as rollback"),
        })
        {
            group.Subcommands.Add(Verb(verb, text, [id, reason], (r, api, ct) =>
                api.SendAsync(HttpMethod.Post, $"/api/v1/rollouts/{Esc(r.GetValue(id))}/{verb}", new JsonObject { ["reason"] = r.GetValue(reason), ["actor"] = ActorOf(r) }, ct)));
        }

        return group;
    }

    private static string ActorOf(ParseResult r) => r.GetValue(Actor) is { Length: > 0 } a ? a : Environment.UserName;

    private static Command Group(string name, string description, params Command[] verbs)
    {
        var group = new Command(name, description);
        foreach (var v in verbs)
        {
            group.Subcommands.Add(v);
        }

        group.SetAction(r =>
        {
            Console.Error.WriteLine($"edgehub ctl {name}: name a verb ({string.Join(", ", verbs.Select(v => v.Name))}); see --help");
            return 2;
        });
        return group;
    }

    private static Command Verb(string name, string description, Symbol[] symbols, Func<ParseResult, HubApiClient, CancellationToken, Task<JsonNode?>> call)
    {
        var command = new Command(name, description);
        foreach (var s in symbols)
        {
            switch (s)
            {
                case Option o: command.Options.Add(o); break;
                case Argument a: command.Arguments.Add(a); break;
            }
        }

        command.SetAction((ParseResult r, CancellationToken ct) => RunAsync(r, (api, c) => call(r, api, c), ct));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult r, Func<HubApiClient, CancellationToken, Task<JsonNode?>> call, CancellationToken ct)
    {
        using var api = new HubApiClient(r.GetValue(Hub) ?? Environment.GetEnvironmentVariable("EDGEHUB_HUB_URL") ?? "http://localhost:5000", ResolveToken(r));
        try
        {
            CtlOutput.Print(await call(api, ct).ConfigureAwait(false), r.GetValue(Json));
            return 0;
        }
        catch (HubApiException ex)
        {
            Console.Error.WriteLine($"edgehub ctl: {ex.Message}");
            return 1;
        }
    }

    private static string? ResolveToken(ParseResult r)
    {
        if (r.GetValue(Token) is { Length: > 0 } token)
        {
            return token;
        }

        if (Environment.GetEnvironmentVariable("EDGEHUB_TOKEN") is { Length: > 0 } env)
        {
            return env;
        }

        var data = Environment.GetEnvironmentVariable("EDGEHUB_DATA") is { Length: > 0 } d ? d : Path.Combine("data", "hub");
        var file = Path.Combine(data, "keys", "operator.token");
        return File.Exists(file) ? File.ReadAllText(file).Trim() : null;
    }

    private static string Esc(string? s) => Uri.EscapeDataString(s ?? "");

    private static string Query(string path, params (string Key, string? Value)[] query)
    {
        var parts = query.Where(q => !string.IsNullOrEmpty(q.Value)).Select(q => $"{q.Key}={Uri.EscapeDataString(q.Value!)}").ToArray();
        return parts.Length == 0 ? path : $"{path}?{string.Join('&', parts)}";
    }
}
