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
/// (Prometheus), /api/status, POST /api/model/rollback, static files from wwwroot for the clinician page and the clinician API
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
        app.MapPost("/api/model/rollback", (EdgeAgent agent) =>
        {
            agent.Models.RequestRollback("operator request on /api/model/rollback");
            return Results.Accepted();
        });
        ClinicianEndpoints.Map(app);
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
        yield return new("edgehub_edge_gc_heap_bytes", GC.GetGCMemoryInfo().HeapSizeBytes);
        yield return new("edgehub_edge_gc_allocated_bytes", GC.GetTotalAllocatedBytes());
    }

    /// <summary>Starts and stops the agent with the host.</summary>
    private sealed class EdgeAgentService(EdgeAgent agent) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => agent.StartAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => agent.DisposeAsync().AsTask();
    }
}
