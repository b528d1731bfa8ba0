using System.Security.Cryptography;
using EdgeHub.Hub.Catalog;
using EdgeHub.Hub.Hosting;
using EdgeHub.Hub.Observability;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace EdgeHub.Hub.Api;

/// <summary>Anonymous operational endpoints: liveness, readiness, Prometheus metrics, the public signing key.</summary>
internal static class HealthEndpoints
{
    public sealed record ReadyReport(bool Ready, bool Catalog, bool Mqtt, string Node);

    public static void Map(IEndpointRouteBuilder app, string node)
    {
        app.MapGet("/healthz", () => Results.Text("ok\n")).AllowAnonymous().ExcludeFromDescription();

        app.MapGet("/readyz", async (HubReadiness readiness, HubCatalog catalog, CancellationToken ct) =>
        {
            var db = readiness.CatalogReady && await catalog.PingAsync(ct);
            var report = new ReadyReport(db && readiness.MqttConnected, db, readiness.MqttConnected, node);
            return Results.Json(report, statusCode: report.Ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        }).AllowAnonymous().ExcludeFromDescription();

        app.MapGet("/metrics", (PrometheusExporter exporter) =>
            Results.Text(exporter.Render(), "text/plain; version=0.0.4; charset=utf-8")).AllowAnonymous().ExcludeFromDescription();

        app.MapGet("/api/v1/signing-key", (ECDsa key) => Results.Text(key.ExportSubjectPublicKeyInfoPem() + "\n", "application/x-pem-file"))
            .AllowAnonymous().WithName("GetSigningKey").WithSummary("The hub's public ECDSA P-256 key (PEM) that edges verify model signatures with.");
    }
}
