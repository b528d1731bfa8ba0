using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeHub.Contracts;
using EdgeHub.Hub.Tests.Support;

namespace EdgeHub.Hub.Tests.Api;

/// <summary>The REST API over a real Kestrel listener: authentication, authorisation, validation and every read endpoint.</summary>
public sealed class ApiTests : IAsyncLifetime
{
    private TestHub _hub = null!;

    public async Task InitializeAsync() => _hub = await TestHub.StartAsync(o => o.Edges["e1"] = "eu");

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    private static async Task<string> ReasonAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!["reason"]!.GetValue<string>();

    [Fact]
    public async Task Get_Anonymous_401WithReason()
    {
        var response = await _hub.Anonymous.GetAsync("/api/v1/edges");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("Bearer", await ReasonAsync(response), StringComparison.Ordinal);
        Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_UnknownToken_401SaysTokenUnknown()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/regions");
        request.Headers.Authorization = new("Bearer", "not-a-token-of-this-hub");
        var response = await _hub.Anonymous.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("not known", await ReasonAsync(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Change_ViewerToken_403AndNothingChanges()
    {
        var response = await _hub.Viewer.PutAsJsonAsync("/api/v1/edges/e9", new { region = "eu" });
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("viewer", await ReasonAsync(response), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await _hub.Viewer.GetAsync("/api/v1/edges/e9")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await _hub.Viewer.PostAsJsonAsync("/api/v1/regions", new { name = "ap" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await _hub.Viewer.PostAsJsonAsync("/api/v1/models/retrain", new { region = "eu" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await _hub.Edge.GetAsync("/api/v1/edges")).StatusCode);
    }

    [Fact]
    public async Task Edges_RegisterMoveDelete_ByOperator()
    {
        var created = await _hub.Operator.PutAsJsonAsync("/api/v1/edges/e2", new { region = "na" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var conflict = await _hub.Operator.PutAsJsonAsync("/api/v1/edges/e2", new { region = "eu" });
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Contains("\"move\": true", await ReasonAsync(conflict), StringComparison.Ordinal);
        var moved = await _hub.Operator.PutAsJsonAsync("/api/v1/edges/e2", new { region = "eu", move = true });
        Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        Assert.Equal("eu", (await moved.Content.ReadFromJsonAsync<JsonObject>())!["region"]!.GetValue<string>());

        var list = await _hub.Viewer.GetFromJsonAsync<JsonArray>("/api/v1/edges?region=eu");
        Assert.Equal(["e1", "e2"], list!.Select(e => e!["edgeId"]!.GetValue<string>()).Order());

        Assert.Equal(HttpStatusCode.BadRequest, (await _hub.Operator.PutAsJsonAsync("/api/v1/edges/bad%20id", new { region = "eu" })).StatusCode);
        var noRegion = await _hub.Operator.PutAsJsonAsync("/api/v1/edges/e3", new { region = "mars" });
        Assert.Equal(HttpStatusCode.NotFound, noRegion.StatusCode);
        Assert.Contains("POST /api/v1/regions", await ReasonAsync(noRegion), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, (await _hub.Operator.GetAsync("/api/v1/edges?region=a/b")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await _hub.Operator.DeleteAsync("/api/v1/edges/e2")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _hub.Operator.DeleteAsync("/api/v1/edges/e2")).StatusCode);
    }

    [Fact]
    public async Task Regions_Create_MakesDatasetAndRejectsBadNames()
    {
        Assert.Equal(HttpStatusCode.Created, (await _hub.Operator.PostAsJsonAsync("/api/v1/regions", new { name = "ap" })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await _hub.Operator.PostAsJsonAsync("/api/v1/regions", new { name = "ap" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _hub.Operator.PostAsJsonAsync("/api/v1/regions", new { name = "../x" })).StatusCode);
        var regions = await _hub.Viewer.GetFromJsonAsync<JsonArray>("/api/v1/regions");
        Assert.Contains(regions!, r => r!["name"]!.GetValue<string>() == "ap");
        var dataset = await _hub.Viewer.GetFromJsonAsync<JsonObject>("/api/v1/datasets/ap");
        Assert.Equal(0, dataset!["rows"]!.GetValue<long>());
        Assert.Equal(HttpStatusCode.NotFound, (await _hub.Viewer.GetAsync("/api/v1/datasets/mars")).StatusCode);
    }

    private async Task<HttpResponseMessage> UploadAsync(HttpClient client, string region, TestDelta d, Action<HttpRequestMessage>? tweak = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/deltas/{region}/{d.EdgeId}/{d.Sequence}") { Content = new ByteArrayContent(d.Bytes) };
        foreach (var (k, v) in d.Properties())
        {
            request.Headers.TryAddWithoutValidation(k, v);
        }

        tweak?.Invoke(request);
        return await client.SendAsync(request);
    }

    [Fact]
    public async Task UploadDelta_Http_SameSemanticsAsMqtt()
    {
        var d1 = DeltaFactory.Create("e1", 1, 12);
        var d2 = DeltaFactory.Create("e1", 2, 8);
        var first = await UploadAsync(_hub.Edge, "eu", d1);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var ack = JsonSerializer.Deserialize((await first.Content.ReadAsStringAsync()), ContractsJson.Default.DeltaAck)!;
        Assert.Equal("committed", ack.Status);
        var again = JsonSerializer.Deserialize(await (await UploadAsync(_hub.Operator, "eu", d1)).Content.ReadAsStringAsync(), ContractsJson.Default.DeltaAck)!;
        Assert.Equal("duplicate", again.Status);
        Assert.Equal(ack.DatasetVersion, again.DatasetVersion);

        var residency = await UploadAsync(_hub.Edge, "na", d2);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, residency.StatusCode);
        Assert.Contains("residency violation", await residency.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var badSha = await UploadAsync(_hub.Edge, "eu", d2, r => { r.Headers.Remove(DeltaProperties.Sha256); r.Headers.Add(DeltaProperties.Sha256, new string('0', 64)); });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badSha.StatusCode);
        var mismatch = await UploadAsync(_hub.Edge, "eu", d2, r => r.Headers.Add(DeltaProperties.Sequence, "7"));
        Assert.Equal(HttpStatusCode.BadRequest, mismatch.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await UploadAsync(_hub.Anonymous, "eu", d2)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await UploadAsync(_hub.Viewer, "eu", d2)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await UploadAsync(_hub.Edge, "eu", d2)).StatusCode);

        // Versions, commit log, diff and lineage describe what happened.
        var versions = await _hub.Viewer.GetFromJsonAsync<JsonArray>("/api/v1/datasets/eu/versions");
        Assert.Equal(2, versions!.Count);
        var v1 = versions[0]!["version"]!.GetValue<long>();
        var v2 = versions[1]!["version"]!.GetValue<long>();
        var commits = await _hub.Viewer.GetFromJsonAsync<JsonArray>("/api/v1/datasets/eu/commits");
        Assert.Contains(commits!, c => c!["edgeId"]?.GetValue<string>() == "e1" && c["sequence"]?.GetValue<long>() == 2);
        var diff = await _hub.Viewer.GetFromJsonAsync<JsonObject>($"/api/v1/datasets/eu/diff?from={v1}&to={v2}");
        Assert.Equal(1, diff!["commits"]!.GetValue<long>());
        Assert.Equal(8, diff["rows"]!.GetValue<long>());
        Assert.Equal(d2.LabelledRows, diff["labelledRows"]!.GetValue<long>());
        Assert.Equal(HttpStatusCode.BadRequest, (await _hub.Viewer.GetAsync("/api/v1/datasets/eu/diff?from=5&to=1")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _hub.Viewer.GetAsync("/api/v1/datasets/eu/diff?from=0&to=999")).StatusCode);
        var lineage = await _hub.Viewer.GetFromJsonAsync<JsonObject>($"/api/v1/datasets/eu/versions/{v2}/lineage");
        Assert.Equal(20, lineage!["rows"]!.GetValue<long>());
        Assert.Equal("e1", lineage["edges"]![0]!["edgeId"]!.GetValue<string>());
        var summary = await _hub.Viewer.GetFromJsonAsync<JsonObject>("/api/v1/datasets/eu");
        Assert.Equal(20, summary!["rows"]!.GetValue<long>());
    }

    [Fact]
    public async Task Operational_HealthReadyMetricsOpenApi_Anonymous()
    {
        Assert.Equal(HttpStatusCode.OK, (await _hub.Anonymous.GetAsync("/healthz")).StatusCode);
        var ready = await _hub.Anonymous.GetFromJsonAsync<JsonObject>("/readyz");
        Assert.True(ready!["ready"]!.GetValue<bool>());
        await UploadAsync(_hub.Edge, "eu", DeltaFactory.Create("e1", 1, 3));
        var metrics = await _hub.Anonymous.GetStringAsync("/metrics");
        Assert.Contains("# TYPE ehub_hub_deltas_total counter", metrics, StringComparison.Ordinal);
        Assert.Contains("ehub_hub_deltas_total{result=\"committed\",transport=\"http\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("ehub_hub_ingest_duration_seconds_bucket", metrics, StringComparison.Ordinal);
        Assert.Contains("ehub_hub_mqtt_connected 1", metrics, StringComparison.Ordinal);

        var openapi = await _hub.Anonymous.GetFromJsonAsync<JsonObject>("/openapi/v1.json");
        var paths = openapi!["paths"]!.AsObject();
        foreach (var path in new[] { "/api/v1/edges", "/api/v1/datasets/{region}/diff", "/api/v1/models/{version}/onnx", "/api/v1/rollouts", "/api/v1/rollouts/{rolloutId}/rollback" })
        {
            Assert.True(paths.ContainsKey(path), $"OpenAPI document lacks {path}");
        }

        var key = await _hub.Anonymous.GetStringAsync("/api/v1/signing-key");
        Assert.Contains("BEGIN PUBLIC KEY", key, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Models_Unknown_404AndValidation()
    {
        Assert.Empty((await _hub.Viewer.GetFromJsonAsync<JsonArray>("/api/v1/models?region=eu"))!);
        Assert.Equal(HttpStatusCode.NotFound, (await _hub.Viewer.GetAsync("/api/v1/models/eu-9")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _hub.Viewer.GetAsync("/api/v1/models/eu-9/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _hub.Edge.GetAsync("/api/v1/models/eu-9/onnx")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _hub.Operator.PostAsJsonAsync("/api/v1/rollouts", new { region = "eu", modelVersion = "eu-9", canaryPercent = 50 })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _hub.Operator.PostAsJsonAsync("/api/v1/rollouts", new { region = "eu" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _hub.Operator.PostAsJsonAsync("/api/v1/rollouts/nope/pause", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _hub.Operator.PostAsJsonAsync("/api/v1/models/retrain", new { region = "mars" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _hub.Operator.PostAsJsonAsync("/api/v1/models/retrain", new { region = "eu", mode = "fast" })).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await _hub.Operator.PostAsJsonAsync("/api/v1/models/retrain", new { region = "eu", mode = "full" })).StatusCode);
        Assert.Empty((await _hub.Viewer.GetFromJsonAsync<JsonArray>("/api/v1/rollouts"))!);
    }
}
