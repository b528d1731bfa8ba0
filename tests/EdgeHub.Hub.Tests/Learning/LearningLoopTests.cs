using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeHub.Contracts;
using EdgeHub.Hub.Tests.Support;
using EdgeHub.Learning.Data;
using EdgeHub.Mqtt;
using EdgeHub.Testing;

namespace EdgeHub.Hub.Tests.Learning;

/// <summary>
/// The learning loop inside a hub node: labelled deltas → automatic full retrain → signed first model assigned to the region
/// (retained) → operator retrain (differential) → rollout canary → waves → complete on edges that report running it → pause,
/// resume and operator rollback.
/// </summary>
public sealed class LearningLoopTests : IAsyncLifetime
{
    private static readonly string[] EdgeIds = ["e1", "e2", "e3"];
    private TestHub _hub = null!;
    private MqttClient _fleet = null!;
    private readonly ConcurrentDictionary<string, ModelAssignment?> _retained = new();

    public async Task InitializeAsync()
    {
        _hub = await TestHub.StartAsync(o =>
        {
            foreach (var e in EdgeIds)
            {
                o.Edges[e] = "eu";
            }

            o.Learning.Enabled = true;
            o.Learning.RolloutTickSeconds = 0.1;
            o.Learning.CheckIntervalSeconds = 0.2;
            o.Learning.RetrainMinNewRows = 8000; // one automatic retrain, after the sixth delta (9,000 rows); later ones on command
        });

        // One client plays the fleet: it sees every retained assignment and answers as each edge would.
        _fleet = new MqttClient(new MqttClientOptions { Port = _hub.MqttPort, ClientId = "fleet" });
        _fleet.MessageReceived = (m, _) =>
        {
            _retained[m.Topic] = m.Payload.IsEmpty ? null : JsonSerializer.Deserialize(m.Payload.Span, ContractsJson.Default.ModelAssignment);
            return ValueTask.CompletedTask;
        };
        await _fleet.ConnectAsync();
        await _fleet.SubscribeAsync(Topics.RegionModel("eu"));
        await _fleet.SubscribeAsync("ehub/v1/edges/+/model");
    }

    public async Task DisposeAsync()
    {
        await _fleet.DisposeAsync();
        await _hub.DisposeAsync();
    }

    private Task ReportAsync(string edgeId, string? model, string? error = null) =>
        _fleet.PublishAsync(Topics.Status(edgeId), JsonSerializer.SerializeToUtf8Bytes(new EdgeStatus
        {
            EdgeId = edgeId, Region = "eu", Online = true, ModelVersion = model, LastModelError = error, At = DateTimeOffset.UtcNow,
        }, ContractsJson.Default.EdgeStatus)).AsTask();

    /// <summary>Each edge reports the model its own assignment (or else the region's) names.</summary>
    private async Task ReportAssignedAsync(string? failingEdge = null)
    {
        foreach (var e in EdgeIds)
        {
            var model = (_retained.GetValueOrDefault(Topics.EdgeModel(e)) ?? _retained.GetValueOrDefault(Topics.RegionModel("eu")))?.ModelVersion;
            await ReportAsync(e, e == failingEdge ? null : model, e == failingEdge ? "model failed to load: bad input shape" : null);
        }
    }

    private async Task<JsonObject> WaitRolloutAsync(string id, string state)
    {
        JsonObject? r = null;
        await Eventually.TrueAsync(() =>
        {
            ReportAssignedAsync().GetAwaiter().GetResult();
            r = _hub.Viewer.GetFromJsonAsync<JsonObject>($"/api/v1/rollouts/{id}").GetAwaiter().GetResult();
            return r!["state"]!.GetValue<string>() == state;
        }, TimeSpan.FromSeconds(60), $"rollout {id} reaches {state}");
        return r!;
    }

    [Fact]
    public async Task LearningLoop_RetrainRolloutRollback_EndToEnd()
    {
        var rows = new SyntheticFeatureGenerator(seed: 5).Generate(9000, firstPatient: 0, windowsPerPatient: 30);
        const int perDelta = 1500;
        for (var i = 0; i < 6; i++)
        {
            var range = new Range(i * perDelta, (i + 1) * perDelta);
            await _hub.UploadAsync(DeltaFactory.FromFeatures("e1", i + 1, rows.Features.AsSpan((i * perDelta * FeatureSchema.Count)..((i + 1) * perDelta * FeatureSchema.Count)),
                rows.Labels.AsSpan(range), rows.PatientIds.AsSpan(range)));
        }

        // Enough new labels: the scheduler trains the region's first model, signs it and assigns it to the region (retained).
        await Eventually.TrueAsync(() => _retained.TryGetValue(Topics.RegionModel("eu"), out var a) && a is not null, TimeSpan.FromSeconds(90),
            "first model assigned to region eu");
        var first = _retained[Topics.RegionModel("eu")]!;
        var onnx = await _hub.Edge.GetByteArrayAsync($"/api/v1/models/{first.ModelVersion}/onnx");
        var publicKey = await _hub.Anonymous.GetStringAsync("/api/v1/signing-key");
        Assert.True(ModelSignature.Verify(onnx, first.Signature, publicKey));
        Assert.Equal(Convert.FromBase64String(first.ModelBase64!), onnx);
        var model = await _hub.Viewer.GetFromJsonAsync<JsonObject>($"/api/v1/models/{first.ModelVersion}");
        Assert.Equal("full", model!["trainingMode"]!.GetValue<string>());
        Assert.Equal("approved", model["status"]!.GetValue<string>());
        var metrics = await _hub.Viewer.GetFromJsonAsync<JsonObject>($"/api/v1/models/{first.ModelVersion}/metrics");
        Assert.NotNull(metrics!["metrics"]);
        var lineage = await _hub.Viewer.GetFromJsonAsync<JsonObject>($"/api/v1/models/{first.ModelVersion}/lineage");
        Assert.Equal(["e1"], lineage!["edges"]!.AsArray().Select(e => e!.GetValue<string>()));
        await ReportAssignedAsync();

        // More data, an operator's differential retrain, then a rollout over the fleet.
        var more = new SyntheticFeatureGenerator(seed: 6).Generate(3000, firstPatient: 1000, windowsPerPatient: 30);
        await _hub.UploadAsync(DeltaFactory.FromFeatures("e2", 1, more.Features, more.Labels, more.PatientIds));
        Assert.Equal(HttpStatusCode.Accepted, (await _hub.Operator.PostAsJsonAsync("/api/v1/models/retrain", new { region = "eu", mode = "differential" })).StatusCode);
        JsonObject? second = null;
        await Eventually.TrueAsync(() => (second = _hub.Viewer.GetFromJsonAsync<JsonArray>("/api/v1/models?region=eu").Result!
            .Select(m => m!.AsObject()).FirstOrDefault(m => m["version"]!.GetValue<string>() != first.ModelVersion)) is not null,
            TimeSpan.FromSeconds(90), "a differential model registered");
        Assert.Equal("differential", second!["trainingMode"]!.GetValue<string>());
        Assert.Equal(first.ModelVersion, second["parentVersion"]!.GetValue<string>());
        var secondVersion = second["version"]!.GetValue<string>();
        Assert.True(second["status"]!.GetValue<string>() == "approved", second["gate"]?.ToJsonString());

        var viewerTry = await _hub.Viewer.PostAsJsonAsync("/api/v1/rollouts", new { region = "eu", modelVersion = secondVersion, canaryEdges = new[] { "e1" } });
        Assert.Equal(HttpStatusCode.Forbidden, viewerTry.StatusCode);
        var create = await _hub.Operator.PostAsJsonAsync("/api/v1/rollouts", new
        {
            region = "eu", modelVersion = secondVersion, canaryEdges = new[] { "e1" }, canaryDurationSeconds = 0.2,
            waves = new[] { new { edges = 1, intervalSeconds = 0.2 } }, shadowWindows = 0,
        });
        Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        var id = (await create.Content.ReadFromJsonAsync<JsonObject>())!["rolloutId"]!.GetValue<string>();
        var again = await _hub.Operator.PostAsJsonAsync("/api/v1/rollouts", new { region = "eu", modelVersion = secondVersion, canaryPercent = 50 });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);

        var done = await WaitRolloutAsync(id, "Complete");
        await Eventually.TrueAsync(() => _retained[Topics.RegionModel("eu")]!.ModelVersion == secondVersion, TimeSpan.FromSeconds(20),
            "region assignment names the completed rollout's model");
        var history = await _hub.Viewer.GetFromJsonAsync<JsonArray>($"/api/v1/rollouts/{id}/history");
        Assert.True(history!.Count >= 3, history.ToJsonString());
        Assert.Contains((await _hub.Viewer.GetFromJsonAsync<JsonArray>("/api/v1/rollouts?region=eu"))!, r => r!["rolloutId"]!.GetValue<string>() == id);
        Assert.Equal(HttpStatusCode.Conflict, (await _hub.Operator.PostAsJsonAsync($"/api/v1/rollouts/{id}/pause", new { })).StatusCode);
        _ = done;

        // A rollout back to the first model, paused, resumed and rolled back by the operator: every edge on the last good model.
        var back = await _hub.Operator.PostAsJsonAsync("/api/v1/rollouts", new
        {
            region = "eu", modelVersion = first.ModelVersion, canaryEdges = new[] { "e2" }, canaryDurationSeconds = 30, shadowWindows = 0,
        });
        Assert.Equal(HttpStatusCode.Created, back.StatusCode);
        var backId = (await back.Content.ReadFromJsonAsync<JsonObject>())!["rolloutId"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await _hub.Operator.PostAsJsonAsync($"/api/v1/rollouts/{backId}/pause", new { reason = "checking" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _hub.Operator.PostAsJsonAsync($"/api/v1/rollouts/{backId}/resume", new { })).StatusCode);
        var rolledBack = await _hub.Operator.PostAsJsonAsync($"/api/v1/rollouts/{backId}/rollback", new { reason = "clinicians report misses" });
        Assert.Equal(HttpStatusCode.OK, rolledBack.StatusCode);
        var final = await _hub.Viewer.GetFromJsonAsync<JsonObject>($"/api/v1/rollouts/{backId}");
        Assert.Equal("RolledBack", final!["state"]!.GetValue<string>());
        Assert.Contains("clinicians report misses", final["abortReason"]!.GetValue<string>(), StringComparison.Ordinal);
        await Eventually.TrueAsync(() => _retained.GetValueOrDefault(Topics.EdgeModel("e2"))?.ModelVersion is not { } v || v == secondVersion,
            TimeSpan.FromSeconds(20), "canary edge back on the last good model");
        Assert.Equal(secondVersion, _retained[Topics.RegionModel("eu")]!.ModelVersion);
    }
}
