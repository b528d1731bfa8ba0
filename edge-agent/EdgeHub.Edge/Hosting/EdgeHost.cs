using System.Security.Cryptography;
using System.Text.Json;
using EdgeHub.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeHub.Edge.Hosting;

/// <summary>
/// Hosts an <see cref="EdgeAgent"/> in ASP.NET Core (Kestrel honours ASPNETCORE_URLS / "urls"): /healthz, /metrics
/// (Prometheus), /api/status, POST /api/model/rollback (operator token), static files from wwwroot for the clinician page and the clinician API
/// (<see cref="ClinicianEndpoints"/>: alerts and labels behind clinician tokens).
/// Settings: appsettings.json, then the --config file, then environment variables (EDGEHUB_Edge__EdgeId=…),
/// section "Edge" (<see cref="EdgeOptions"/>).
/// </summary>
public static class EdgeHost
{
    /// <summary>Default listener when neither ASPNETCORE_URLS nor "urls" is set.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>Builds the web application; the agent starts with the host.</summary>
    public static WebApplication Build(string? configFile, string[]? args = null, Action<EdgeOptions>? configure = null)
    {
        QuietThreadPool();
        MallocArenas.Limit();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args ?? [], ContentRootPath = AppContext.BaseDirectory });
        if (configFile is not null)
        {
            if (!File.Exists(configFile))
            {
                throw new EdgeConfigurationException($"config file '{configFile}' does not exist: pass a JSON settings file with an \"Edge\" section");
            }

            builder.Configuration.AddJsonFile(Path.GetFullPath(configFile), optional: false, reloadOnChange: false);
        }

        builder.Configuration.AddEnvironmentVariables("EDGEHUB_");
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        if (builder.Configuration["Logging:LogLevel:Default"] is null)
        {
            builder.Logging.SetMinimumLevel(LogLevel.Information);
            builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
            builder.Logging.AddFilter("EdgeHub.Mqtt", LogLevel.Warning);
        }

        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("ASPNETCORE_URLS")))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        var options = new EdgeOptions();
        builder.Configuration.GetSection(EdgeOptions.Section).Bind(options);
        configure?.Invoke(options);
        options.Validate();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(sp => new EdgeAgent(options, sp.GetRequiredService<ILoggerFactory>()));
        builder.Services.AddHostedService<EdgeAgentService>();

        var app = builder.Build();
        var webRoot = Path.Combine(AppContext.BaseDirectory, "wwwroot");
        if (Directory.Exists(webRoot))
        {
            var files = new PhysicalFileProvider(webRoot);
            app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
            app.UseStaticFiles(new StaticFileOptions { FileProvider = files });
        }

        MapEndpoints(app);
        return app;
    }

    private static void MapEndpoints(WebApplication app)
    {
        app.MapGet("/healthz", (EdgeAgent agent) => Results.Text(agent.FramesProcessed >= 0 ? "ok" : "starting"));
        app.MapGet("/metrics", (EdgeAgent agent) => Results.Text(agent.Metrics.ToPrometheus(Gauges(agent)), "text/plain; version=0.0.4"));
        app.MapGet("/api/status", (EdgeAgent agent) =>
            Results.Text(JsonSerializer.Serialize(agent.BuildStatus(online: true), ContractsJson.Default.EdgeStatus), "application/json"));
        app.MapPost("/api/model/rollback", (EdgeAgent agent, EdgeOptions options, HttpContext http) =>
        {
            if (OperatorRefusal(options, http) is { } refused)
            {
                return refused;
            }

            agent.Models.RequestRollback("operator request on /api/model/rollback");
            return Results.Accepted();
        });
        ClinicianEndpoints.Map(app);
    }

    /// <summary>
    /// Idle thread-pool workers spin (sched_yield) before sleeping; with device connections handing work to the pool
    /// thousands of times a second that spinning took ~10 % of the agent's CPU on 2 cores (perf, 10,000 frames/s), and
    /// turning it off cut the agent's CPU per frame by ~19 %. Read when the pool's first worker starts, so this only takes
    /// effect when the edge is the process's first use of the pool (as under "edgehub edge"); an explicit
    /// DOTNET_ThreadPool_UnfairSemaphoreSpinLimit or runtimeconfig value wins.
    /// </summary>
    private static void QuietThreadPool()
    {
        const string Name = "System.Threading.ThreadPool.UnfairSemaphoreSpinLimit";
        if (AppContext.GetData(Name) is null && Environment.GetEnvironmentVariable("DOTNET_ThreadPool_UnfairSemaphoreSpinLimit") is null)
        {
            AppContext.SetData(Name, "0");
        }
    }

    /// <summary>Null when the request carries the edge's operator token; else the 403/401 that says why not.</summary>
    private static IResult? OperatorRefusal(EdgeOptions options, HttpContext http)
    {
        if (options.OperatorToken is not { } expected)
        {
            return Results.Problem(statusCode: StatusCodes.Status403Forbidden,
                detail: "operator actions are disabled on this edge (no Edge:OperatorToken): roll back through the hub (edgehub ctl rollouts abort), or set Edge:OperatorToken");
        }

        var presented = ClinicianAccess.Bearer(http);
        if (presented is null)
        {
            return ClinicianAccess.Unauthorized("operator token needed: send Authorization: Bearer <Edge:OperatorToken>");
        }

        return CryptographicOperations.FixedTimeEquals(ClinicianAccess.Digest(presented), ClinicianAccess.Digest(expected))
            ? null
            : ClinicianAccess.Unauthorized("the operator token is not valid on this edge");
    }

    private static IEnumerable<KeyValuePair<string, double>> Gauges(EdgeAgent agent)
    {
        yield return new("edgehub_edge_devices", agent.Devices.Count);
        yield return new("edgehub_edge_inference_queue", agent.InferenceQueueDepth);
        yield return new("edgehub_edge_store_pending_rows", agent.Store.PendingRows);
        yield return new("edgehub_edge_store_unacked_deltas", agent.Store.UnackedCount);
        yield return new("edgehub_edge_store_used_bytes", agent.Store.UsedBytes);
        yield return new("edgehub_edge_store_dropped_rows", agent.Store.DroppedRows);
        yield return new("edgehub_edge_store_overflow_rows", agent.Writer.Overflow);
        yield return new("edgehub_edge_hub_connected", agent.HubConnected ? 1 : 0);
        var gc = GC.GetGCMemoryInfo();
        yield return new("edgehub_edge_gc_heap_bytes", gc.HeapSizeBytes);
        yield return new("edgehub_edge_gc_allocated_bytes", GC.GetTotalAllocatedBytes());
        // Where the heap is (live data in gen2/LOH vs. allocation budget and fragmentation): sizing a device count needs it.
        yield return new("edgehub_edge_gc_committed_bytes", gc.TotalCommittedBytes);
        yield return new("edgehub_edge_gc_fragmented_bytes", gc.FragmentedBytes);
        yield return new("edgehub_edge_gc_promoted_bytes", gc.PromotedBytes);
        // Live data: what the latest full GC (background or blocking) kept. Gen 2 between full GCs also holds dead objects.
        var background = GC.GetGCMemoryInfo(GCKind.Background);
        var blocking = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        yield return new("edgehub_edge_gc_live_after_full_bytes", (background.Index > blocking.Index ? background : blocking).PromotedBytes);
        // Generations 0-2, then 3 = large object heap, 4 = pinned object heap.
        foreach (var (g, bytes) in SizesAfterGc(gc))
        {
            yield return new($"edgehub_edge_gc_gen{g}_after_bytes", bytes);
        }

        yield return new("edgehub_edge_store_writer_queued", agent.Writer.Queued);
        yield return new("edgehub_edge_alerts_active", agent.Alerts.ActiveCount);
    }

    private static (int Generation, long Bytes)[] SizesAfterGc(GCMemoryInfo gc)
    {
        var generations = gc.GenerationInfo;
        var sizes = new (int, long)[generations.Length];
        for (var g = 0; g < sizes.Length; g++)
        {
            sizes[g] = (g, generations[g].SizeAfterBytes);
        }

        return sizes;
    }

    /// <summary>Starts and stops the agent with the host.</summary>
    private sealed class EdgeAgentService(EdgeAgent agent) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => agent.StartAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => agent.DisposeAsync().AsTask();
    }
}
