using System.Security.Cryptography;
using EdgeHub.Datasets;
using EdgeHub.Hub.Api;
using EdgeHub.Hub.Catalog;
using EdgeHub.Hub.Ingest;
using EdgeHub.Hub.Learning;
using EdgeHub.Hub.Observability;
using EdgeHub.Hub.Options;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EdgeHub.Hub.Hosting;

/// <summary>
/// Builds and runs a hub node: an ASP.NET Core application with the REST API, ingest over MQTT and HTTP, the catalog,
/// the learning loop and rollouts. The HTTP listener follows ASPNETCORE_URLS (or <c>urls</c> passed by the host).
/// </summary>
public static class HubApp
{
    /// <summary>Creates the application; <paramref name="configure"/> may adjust the builder (tests bind port 0).</summary>
    public static WebApplication Build(HubOptions options, Action<WebApplicationBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("EdgeHub", LogLevel.Information);
        configure?.Invoke(builder);
        if (options.Https.Enabled)
        {
            // The slim builder leaves HTTPS out; with a certificate every https:// URL of the listener is served with it.
            var certificate = options.Https.LoadCertificate();
            builder.WebHost.UseKestrelHttpsConfiguration();
            builder.WebHost.ConfigureKestrel(k => k.ConfigureHttpsDefaults(h => h.ServerCertificate = certificate));
        }

        var bootLogger = LoggerFactory.Create(l => l.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information)).CreateLogger("EdgeHub.Hub");
        Directory.CreateDirectory(options.DataRoot);
        HubSecrets.EnsureTokens(options, bootLogger);
        var signingKey = HubSecrets.LoadOrCreateSigningKey(options, bootLogger);

        var services = builder.Services;
        services.AddSingleton(options);
        services.AddSingleton(signingKey);
        services.AddSingleton(new TokenStore(options.Api.Tokens));
        services.AddSingleton(_ => CatalogDb.Create(options.Catalog, options.DataRoot));
        services.AddSingleton<HubCatalog>();
        services.AddSingleton(sp => new DatasetStore(options.DatasetsRoot, new DatasetStoreOptions
        {
            MaxDeltaBytes = options.MaxDeltaBytes,
            LoggerFactory = sp.GetRequiredService<ILoggerFactory>(),
        }));
        services.AddSingleton<HubReadiness>();
        services.AddSingleton(sp => new HubMetrics(() => sp.GetRequiredService<HubReadiness>().MqttConnected));
        services.AddSingleton(sp => new PrometheusExporter(sp.GetRequiredService<HubMetrics>().Meter));
        services.AddSingleton<HubRegions>();
        services.AddSingleton<DatasetReconciler>();
        services.AddSingleton<DeltaIngestor>();
        services.AddSingleton<EdgeStatusHandler>();
        services.AddSingleton<HubMqttService>();
        services.AddHostedService<HubStartup>();
        services.AddHostedService(sp => sp.GetRequiredService<HubMqttService>());
        HubLearning.AddServices(services);

        services.AddAuthentication(BearerTokenHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, BearerTokenHandler>(BearerTokenHandler.SchemeName, null);
        // Endpoints that name no policy get the fallback: read access (viewer or operator); upload, download and changes name theirs.
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder(BearerTokenHandler.SchemeName).RequireRole(Roles.Viewer, Roles.Operator).Build())
            .AddPolicy(Policies.Read, p => p.RequireRole(Roles.Viewer, Roles.Operator))
            .AddPolicy(Policies.Operate, p => p.RequireRole(Roles.Operator))
            .AddPolicy(Policies.Upload, p => p.RequireRole(Roles.Edge, Roles.Operator))
            .AddPolicy(Policies.Download, p => p.RequireRole(Roles.Edge, Roles.Viewer, Roles.Operator));
        services.Configure<JsonOptions>(o =>
        {
            o.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter());
            // Metrics are NaN when a class is absent from the holdout (AUROC undefined); write them as "NaN", not a 500.
            o.SerializerOptions.NumberHandling |= System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals;
        });
        services.AddOpenApi("v1", o => o.AddDocumentTransformer((doc, _, _) =>
        {
            doc.Info.Title = "EdgeHub hub API";
            doc.Info.Description = "Regions, edges, datasets, models and rollouts of an EdgeHub hub. Bearer tokens: viewer (read) or operator (read and change).";
            return Task.CompletedTask;
        }));

        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        HealthEndpoints.Map(app, options.NodeId);
        var api = app.MapGroup("/api/v1");
        FleetEndpoints.Map(api);
        DatasetEndpoints.Map(api);
        DeltaUploadEndpoint.Map(api);
        HubLearning.MapEndpoints(api);
        EdgeHub.Hub.Dashboard.DashboardEndpoints.Map(app, api);
        return app;
    }

    /// <summary>Runs a node until <paramref name="ct"/> is cancelled (Ctrl-C / SIGTERM also stop it).</summary>
    public static async Task RunAsync(HubOptions options, CancellationToken ct)
    {
        var app = Build(options);
        await using (app.ConfigureAwait(false))
        {
            await app.StartAsync(ct).ConfigureAwait(false);
            var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (ct.Register(() => stopped.TrySetResult()))
            using (app.Lifetime.ApplicationStopping.Register(() => stopped.TrySetResult()))
            {
                await stopped.Task.ConfigureAwait(false);
            }

            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>The addresses the HTTP listener bound (after start).</summary>
    public static IReadOnlyList<string> Addresses(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return [.. app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? []];
    }
}
