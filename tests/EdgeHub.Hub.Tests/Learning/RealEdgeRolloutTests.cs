using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using EdgeHub.Contracts;
using EdgeHub.Hub.Learning;
using EdgeHub.Hub.Tests.Support;
using EdgeHub.Learning.Data;
using EdgeHub.Learning.Registry;
using EdgeHub.Learning.Training;
using EdgeHub.Testing;

namespace EdgeHub.Hub.Tests.Learning;

/// <summary>
/// The learning loop's done-when at hub level, with five REAL edge agents (in process, each with its embedded device broker)
/// uplinked to a hub node on loopback (embedded broker, SQLite catalog): the hub trains from the edges' deltas, a rollout
/// goes canary → waves → complete on the five edges, a candidate that fails on its canaries aborts the rollout by itself
/// with every edge on (and reporting) the last good model, and lineage traces the model to dataset versions, deltas and edges.
/// Each test has a timeout well above its run time (about 10 s) so a hang fails it by name instead of stalling the run.
/// </summary>
public sealed class RealEdgeRolloutTests : IAsyncLifetime
{
    private static readonly string[] EdgeIds = ["e1", "e2", "e3", "e4", "e5"];
    private TestHub _hub = null!;
    private RealEdgeFleet _edges = null!;

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
            o.Learning.RetrainMinNewRows = 8000; // one automatic retrain after the sixth delta; the next on command
        });
        _edges = await RealEdgeFleet.StartAsync(_hub, "eu", EdgeIds);
    }

    public async Task DisposeAsync()
    {
        await _edges.DisposeAsync();
        await _hub.DisposeAsync();
    }

    [Fact(Timeout = 240_000)]
    public async Task RealEdges_RolloutCompletes_FailingCanaryRollsBack_LineageTracesDeltasToEdges()
    {
        // Labelled deltas from all five edges: the scheduler trains, signs and assigns the region's first model; every edge
        // verifies it with the hub's public key and serves it.
        var rows = new SyntheticFeatureGenerator(seed: 5).Generate(9000, firstPatient: 0, windowsPerPatient: 30);
        var sequences = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var i = 0; i < 6; i++)
        {
            var edge = EdgeIds[i % EdgeIds.Length];
            sequences[edge] = sequences.GetValueOrDefault(edge) + 1;
            await _hub.UploadAsync(Slice(rows, edge, sequences[edge], i * 1500, 1500));
        }

        var first = await WaitModelAsync(m => true, "the region's first model");
        await _edges.WaitAllServingAsync(first, TimeSpan.FromSeconds(60));

        // Two more deltas (e2, e3) and an operator's differential retrain.
        var more = new SyntheticFeatureGenerator(seed: 6).Generate(3000, firstPatient: 1000, windowsPerPatient: 30);
        await _hub.UploadAsync(Slice(more, "e2", sequences["e2"] + 1, 0, 1500));
        await _hub.UploadAsync(Slice(more, "e3", sequences["e3"] + 1, 1500, 1500));
        Assert.Equal(HttpStatusCode.Accepted, (await _hub.Operator.PostAsJsonAsync("/api/v1/models/retrain", new { region = "eu", mode = "differential" })).StatusCode);
        var second = await WaitModelAsync(m => m["version"]!.GetValue<string>() != first, "a differential model");
        var secondRecord = (await _hub.Viewer.GetFromJsonAsync<JsonObject>($"/api/v1/models/{second}"))!;
        Assert.True(secondRecord["status"]!.GetValue<string>() == "approved", secondRecord["gate"]?.ToJsonString());

        // Rollout: canary e1, then 2 edges, then the rest; every phase waits until its edges really serve the model.
        var id = await CreateRolloutAsync(new
        {
            region = "eu", modelVersion = second, canaryEdges = new[] { "e1" }, canaryDurationSeconds = 0.3, shadowWindows = 0,
            waves = new object[] { new { edges = 2, intervalSeconds = 0.3 }, new { percent = 100, intervalSeconds = 0.3 } },
            abort = new { silentTimeoutSeconds = 60, activationTimeoutSeconds = 90 }, actor = "alice",
        });
        var done = await WaitRolloutAsync(id, "Complete", TimeSpan.FromSeconds(90));
        await _edges.WaitAllServingAsync(second, TimeSpan.FromSeconds(30));
        var history = done["history"]!.AsArray();
        Assert.Equal(["Canary", "Waves", "Complete"], history.Where(h => h!["kind"]!.GetValue<string>() == "transition").Select(h => h!["to"]!.GetValue<string>()));
        var assigns = history.Where(h => h!["kind"]!.GetValue<string>() == "assign").Select(h => h!["detail"]!.GetValue<string>()).ToList();
        Assert.Equal(3, assigns.Count);
        Assert.StartsWith("canary: e1 ", assigns[0], StringComparison.Ordinal);
        Assert.Equal("alice (operator token)", history[0]!["actor"]!.GetValue<string>());
        await WaitHubSeesAsync(second);

        // A signed, "approved" candidate whose ONNX cannot run on the edges (NaN weights: the edge's smoke run refuses it).
        var broken = await RegisterBrokenModelAsync(second);
        var failing = await CreateRolloutAsync(new
        {
            region = "eu", modelVersion = broken, canaryEdges = new[] { "e1", "e2" }, canaryDurationSeconds = 60, shadowWindows = 0,
            waves = new object[] { new { percent = 100, intervalSeconds = 1 } },
        });
        var rolledBack = await WaitRolloutAsync(failing, "RolledBack", TimeSpan.FromSeconds(60));
        var reason = rolledBack["abortReason"]!.GetValue<string>();
        Assert.StartsWith("automatic rollback: ", reason, StringComparison.Ordinal);
        Assert.Contains($"failed to load or run {broken}", reason, StringComparison.Ordinal);
        Assert.Contains("smoke run", reason, StringComparison.Ordinal);
        await WaitStatusAsync(broken, "rejected");
        await _edges.WaitAllServingAsync(second, TimeSpan.FromSeconds(30));
        await WaitHubSeesAsync(second);
        // The edge the abort names reported the failure with the model it concerns (what the hub judged it by).
        var failedEdge = System.Text.RegularExpressions.Regex.Match(reason, @"edge (e[12]) failed to load or run").Groups[1].Value;
        Assert.True(failedEdge.Length > 0, reason);
        var status = (await _hub.Viewer.GetFromJsonAsync<JsonObject>($"/api/v1/edges/{failedEdge}"))!["lastStatus"]!;
        Assert.Equal(broken, status["lastModelErrorVersion"]?.GetValue<string>());
        Assert.Equal(second, status["modelVersion"]?.GetValue<string>());

        // Lineage: model → parent → dataset version → the deltas since the parent → the edges that sent them; and forward to
        // the edges running it and the rollouts that carried it.
        var lineage = (await _hub.Viewer.GetFromJsonAsync<JsonObject>($"/api/v1/models/{second}/lineage"))!;
        Assert.Equal([first], lineage["ancestors"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Equal(8, lineage["datasetVersion"]!.GetValue<long>());
        Assert.Equal(6, lineage["sinceDatasetVersion"]!.GetValue<long>());
        var deltas = lineage["deltas"]!.AsArray();
        Assert.Equal([(7L, "e2"), (8L, "e3")], deltas.Select(d => (d!["version"]!.GetValue<long>(), d["edgeId"]!.GetValue<string>())));
        Assert.Equal(["e2", "e3"], lineage["edges"]!.AsArray().Select(e => e!.GetValue<string>()));
        Assert.Equal(EdgeIds, lineage["runningOn"]!.AsArray().Select(e => e!.GetValue<string>()));
        Assert.Equal([id], lineage["rollouts"]!.AsArray().Select(e => e!.GetValue<string>()));
        var firstLineage = (await _hub.Viewer.GetFromJsonAsync<JsonObject>($"/api/v1/models/{first}/lineage"))!;
        Assert.Equal(EdgeIds, firstLineage["edges"]!.AsArray().Select(e => e!.GetValue<string>()));
        Assert.Equal(6, firstLineage["deltas"]!.AsArray().Count);
    }

    [Fact(Timeout = 240_000)]
    public async Task RealEdges_CandidateThatDisagreesInShadow_IsRolledBack_AndTheCanaryReturnsToTheLastGoodModel()
    {
        var (trained, a) = await SeedRegionModelAsync();

        // Candidate B: A with its class outputs rotated by one (an export bug): it loads and runs, and disagrees on every window.
        var b = await RegisterChildAsync(trained with { Model = RotateClasses(trained.Model) }, a);
        var canary = _edges.Agents["e1"];
        var served = new System.Collections.Concurrent.ConcurrentQueue<string>();
        canary.Models.Swapped += (version, _) => served.Enqueue(version ?? "(none)");

        // Six devices stream real-time ECG into the canary (a window per device per second after the first ten).
        await using var devices = new EdgeHub.Simulator.Fleet(new EdgeHub.Simulator.FleetOptions
        {
            BrokerPort = canary.DeviceBrokerPort, Devices = 6, Duration = TimeSpan.FromMinutes(3), Qos = EdgeHub.Mqtt.MqttQos.AtLeastOnce,
            MeasureFeedback = false, ClientIdPrefix = "shadow-sim", Seed = 4,
        });
        using var stop = new CancellationTokenSource();
        var streaming = devices.RunAsync(stop.Token);
        try
        {
            var id = await CreateRolloutAsync(new
            {
                region = "eu", modelVersion = b.Version, canaryEdges = new[] { "e1" }, canaryDurationSeconds = 120, shadowWindows = 20,
                waves = new object[] { new { percent = 100, intervalSeconds = 1 } }, abort = new { maxShadowDisagreement = 0.15, minShadowWindows = 20 },
            });
            var rolledBack = await WaitRolloutAsync(id, "RolledBack", TimeSpan.FromSeconds(90));
            var reason = rolledBack["abortReason"]!.GetValue<string>();
            Assert.StartsWith("automatic rollback: edge e1: shadow disagreement 1 above 0.15 over ", reason, StringComparison.Ordinal);
            Assert.EndsWith(" windows", reason, StringComparison.Ordinal);

            // The canary had swapped to B at the end of its shadow run; the hub's rollback assignment swapped it back to A.
            await _edges.WaitAllServingAsync(a.Version, TimeSpan.FromSeconds(30));
            // (The swap to A at set-up may be announced after the subscription too: judge from B on.)
            await Eventually.TrueAsync(() => served.SkipWhile(v => v != b.Version).Count() >= 2, TimeSpan.FromSeconds(10), "the canary's swap back is announced");
            Assert.Equal([b.Version, a.Version], served.SkipWhile(v => v != b.Version));
            await WaitHubSeesAsync(a.Version);
            await WaitStatusAsync(b.Version, "rejected");
            Assert.DoesNotContain(rolledBack["history"]!.AsArray(), h => h!["kind"]!.GetValue<string>() == "assign" && h["detail"]!.GetValue<string>().StartsWith("wave", StringComparison.Ordinal));
        }
        finally
        {
            await stop.CancelAsync();
            await streaming.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
        }
    }

    [Fact(Timeout = 240_000)]
    public async Task RealEdges_OperatorActions_AreExplicit_RecordedWithActorAndReason_AndRefusedWhenTheStateForbids()
    {
        var (trained, a) = await SeedRegionModelAsync();
        var b = await RegisterChildAsync(trained with { Model = trained.Model.Clone() }, a, "operator test candidate");

        var bad = await _hub.Operator.PostAsJsonAsync("/api/v1/rollouts", new { region = "eu", modelVersion = b.Version, canaryPercent = 20, abort = new { minShadowWindows = -1 } });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("minShadowWindows must not be negative", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Long bake times: nothing advances unless an operator promotes.
        var id = await CreateRolloutAsync(new
        {
            region = "eu", modelVersion = b.Version, canaryEdges = new[] { "e1" }, canaryDurationSeconds = 3600, shadowWindows = 0,
            waves = new object[] { new { edges = 2, intervalSeconds = 3600 }, new { percent = 100, intervalSeconds = 3600 } }, actor = "alice",
        });
        await WaitRolloutAsync(id, "Canary", TimeSpan.FromSeconds(30));
        await ActAsync(id, "pause", new { reason = "lunch", actor = "alice" }, HttpStatusCode.OK);
        Assert.Contains("resume it before promoting", await ActAsync(id, "promote", new { actor = "alice" }, HttpStatusCode.Conflict), StringComparison.Ordinal);
        await ActAsync(id, "resume", new { }, HttpStatusCode.OK);
        Assert.Contains("not paused", await ActAsync(id, "resume", new { }, HttpStatusCode.Conflict), StringComparison.Ordinal);

        // The canary really serves B and the hub knows: promote starts wave 1 now instead of in an hour.
        await Eventually.TrueAsync(async () => (await RolloutAsync(id))["running"]!.AsObject().ContainsKey("e1"), TimeSpan.FromSeconds(30), "the hub sees e1 running the candidate");
        await ActAsync(id, "promote", new { reason = "canary fine", actor = "alice" }, HttpStatusCode.OK);
        var waves = await RolloutAsync(id);
        Assert.Equal(("Waves", 3), (waves["state"]!.GetValue<string>(), waves["assigned"]!.AsObject().Count));

        // An edge pinned mid-rollout leaves it and serves its pin; the last promote completes the rollout without it.
        var assigned = waves["assigned"]!.AsObject();
        var pinned = waves["targets"]!.AsArray().Select(t => t!.GetValue<string>()).Last(t => !assigned.ContainsKey(t));
        var pin = await _hub.Operator.PutAsJsonAsync($"/api/v1/edges/{pinned}/pin", new { modelVersion = a.Version, reason = "validation study", actor = "bob" });
        Assert.Equal(HttpStatusCode.OK, pin.StatusCode);
        await Eventually.TrueAsync(async () => (await RolloutAsync(id))["running"]!.AsObject().Count == 3, TimeSpan.FromSeconds(30), "wave 1 edges run the candidate");
        await ActAsync(id, "promote", new { actor = "alice" }, HttpStatusCode.OK);
        await WaitRolloutAsync(id, "Waves", TimeSpan.FromSeconds(5));
        await Eventually.TrueAsync(async () => (await RolloutAsync(id))["running"]!.AsObject().Count == 4, TimeSpan.FromSeconds(30), "wave 2 edges run the candidate");
        await ActAsync(id, "promote", new { actor = "alice" }, HttpStatusCode.OK);
        var done = await WaitRolloutAsync(id, "Complete", TimeSpan.FromSeconds(10));
        await Eventually.TrueAsync(() => _edges.Serving().Count(kv => kv.Value == b.Version) == 4 && _edges.Serving()[pinned] == a.Version,
            TimeSpan.FromSeconds(30), $"four edges serve the candidate, pinned {pinned} its pin");
        Assert.Contains("is finished", await ActAsync(id, "promote", new { }, HttpStatusCode.Conflict), StringComparison.Ordinal);
        Assert.Contains("is finished", await ActAsync(id, "pause", new { }, HttpStatusCode.Conflict), StringComparison.Ordinal);

        // Unpinned, the edge follows the region's model; unpinning twice is refused.
        Assert.Equal(HttpStatusCode.OK, (await _hub.Operator.DeleteAsync($"/api/v1/edges/{pinned}/pin?reason=study%20over&actor=carol")).StatusCode);
        await _edges.WaitAllServingAsync(b.Version, TimeSpan.FromSeconds(30));
        var again = await _hub.Operator.DeleteAsync($"/api/v1/edges/{pinned}/pin");
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("not pinned", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var history = done["history"]!.AsArray().Select(h => h!.AsObject()).ToList();
        var actions = history.Where(h => h["actor"] is not null).Select(h => (h["kind"]!.GetValue<string>(), h["actor"]!.GetValue<string>(), h["detail"]!.GetValue<string>())).ToList();
        Assert.Contains(actions, x => x == ("transition", "alice (operator token)", "paused: lunch"));
        Assert.Contains(actions, x => x.Item1 == "transition" && x.Item2 == "operator" && x.Item3 == "resumed");
        Assert.Contains(actions, x => x == ("promote", "alice (operator token)", "canary ends now, without the rest of its bake time: canary fine"));
        Assert.Contains(actions, x => x.Item1 == "pin" && x.Item2 == "bob (operator token)" && x.Item3.StartsWith($"{pinned} pinned to {a.Version}: validation study", StringComparison.Ordinal));
        Assert.Equal(3, actions.Count(x => x.Item1 == "promote"));
        var log = (await _hub.Viewer.GetFromJsonAsync<JsonArray>("/api/v1/regions/eu/rollout-log"))!.Select(e => e!.AsObject()).ToList();
        Assert.Contains(log, e => e["kind"]!.GetValue<string>() == "unpin" && e["actor"]!.GetValue<string>() == "carol (operator token)"
            && e["detail"]!.GetValue<string>() == $"{pinned} unpinned from {a.Version}: study over");
        Assert.Contains(log, e => e["kind"]!.GetValue<string>() == "promote" && e["detail"]!.GetValue<string>().StartsWith(id + ": ", StringComparison.Ordinal));
    }

    private async Task<JsonObject> RolloutAsync(string id) => (await _hub.Viewer.GetFromJsonAsync<JsonObject>($"/api/v1/rollouts/{id}"))!;

    /// <summary>Posts an operator action and checks the status; returns the body (the refusal's reason on 409).</summary>
    private async Task<string> ActAsync(string id, string verb, object body, HttpStatusCode expected)
    {
        using var response = await _hub.Operator.PostAsJsonAsync($"/api/v1/rollouts/{id}/{verb}", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{verb}: {(int)response.StatusCode} {text}");
        return text;
    }

    /// <summary>Trains model A here, registers it and makes it the region's model directly; waits until all five edges serve it.</summary>
    private async Task<(TrainingResult Trained, RegisteredModel Model)> SeedRegionModelAsync()
    {
        var rows = new SyntheticFeatureGenerator(seed: 9).Generate(6000, firstPatient: 0, windowsPerPatient: 30);
        var trained = MlpTrainer.TrainFull(SyntheticFeatureGenerator.ToTrainingSet(HoldoutDefinition.Default, 1, null, (rows, false)),
            TrainerOptions.Mlp with { Epochs = 2, Seed = 3 });
        var (a, _) = await _hub.Get<ModelRegistry>().RegisterAsync(new ModelRegistration { Region = "eu", Training = trained, DatasetVersion = 1 }, CancellationToken.None);
        await _hub.Get<RolloutService>().MutateAsync("eu", (engine, now) => (0, engine.SetRegionModel(a.Version, now, "test: seed model")), CancellationToken.None);
        await _edges.WaitAllServingAsync(a.Version, TimeSpan.FromSeconds(60));
        return (trained, a);
    }

    /// <summary>Registers <paramref name="training"/> as a differential child of <paramref name="parent"/> (signed, approved: no gate ran).</summary>
    private async Task<RegisteredModel> RegisterChildAsync(TrainingResult training, RegisteredModel parent, string createdBy = "test")
    {
        var (model, _) = await _hub.Get<ModelRegistry>().RegisterAsync(new ModelRegistration
        {
            Region = "eu", Training = training with { Mode = TrainingMode.Differential }, DatasetVersion = parent.DatasetVersion, Parent = parent, CreatedBy = createdBy,
        }, CancellationToken.None);
        return model;
    }

    /// <summary>The model with its output classes rotated by one: class c gets the logit of class c + 1.</summary>
    private static MlpModel RotateClasses(MlpModel m)
    {
        var last = m.Layers[^1];
        var weights = new float[last.Weights.Length];
        var bias = new float[last.Outputs];
        for (var c = 0; c < last.Outputs; c++)
        {
            var from = (c + 1) % last.Outputs;
            bias[c] = last.Bias[from];
            for (var i = 0; i < last.Inputs; i++)
            {
                weights[(i * last.Outputs) + c] = last.Weights[(i * last.Outputs) + from];
            }
        }

        var layers = m.Clone().Layers.ToList();
        layers[^1] = new MlpLayer(last.Inputs, last.Outputs, weights, bias);
        return new MlpModel((float[])m.Mean.Clone(), (float[])m.Std.Clone(), layers);
    }

    private static TestDelta Slice(GeneratedRows rows, string edge, long sequence, int start, int count)
    {
        var n = FeatureSchema.Count;
        return DeltaFactory.FromFeatures(edge, sequence, rows.Features.AsSpan(start * n, count * n), rows.Labels.AsSpan(start, count),
            rows.PatientIds.AsSpan(start, count));
    }

    private async Task<string> WaitModelAsync(Func<JsonObject, bool> match, string what)
    {
        string? version = null;
        await Eventually.TrueAsync(async () =>
        {
            var models = await _hub.Viewer.GetFromJsonAsync<JsonArray>("/api/v1/models?region=eu");
            version = models!.Select(m => m!.AsObject()).FirstOrDefault(match)?["version"]!.GetValue<string>();
            return version is not null;
        }, TimeSpan.FromSeconds(120), what);
        return version!;
    }

    private async Task<string> CreateRolloutAsync(object body)
    {
        var response = await _hub.Operator.PostAsJsonAsync("/api/v1/rollouts", body);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["rolloutId"]!.GetValue<string>();
    }

    private async Task<JsonObject> WaitRolloutAsync(string id, string state, TimeSpan timeout)
    {
        JsonObject? r = null;
        try
        {
            await Eventually.TrueAsync(async () =>
            {
                r = await _hub.Viewer.GetFromJsonAsync<JsonObject>($"/api/v1/rollouts/{id}");
                return r!["state"]!.GetValue<string>() == state;
            }, timeout, $"rollout {id} reaches {state}", TimeSpan.FromMilliseconds(100));
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}; rollout: {r?.ToJsonString()}; edges: {_edges.Describe()}", ex);
        }

        return r!;
    }

    /// <summary>The registry marks a model its rollout rejected just after storing the rollout's state: wait for it.</summary>
    private Task WaitStatusAsync(string model, string status) => Eventually.TrueAsync(async () =>
        (await _hub.Viewer.GetFromJsonAsync<JsonObject>($"/api/v1/models/{model}"))!["status"]!.GetValue<string>() == status,
        TimeSpan.FromSeconds(10), $"model {model} is {status}");

    /// <summary>Waits until the hub's catalog shows every edge reporting <paramref name="model"/> in its status.</summary>
    private Task WaitHubSeesAsync(string model) => Eventually.TrueAsync(async () =>
    {
        var edges = await _hub.Viewer.GetFromJsonAsync<JsonArray>("/api/v1/edges?region=eu");
        return edges!.Count == EdgeIds.Length && edges.All(e => e!["modelVersion"]?.GetValue<string>() == model && e["online"]!.GetValue<bool>());
    }, TimeSpan.FromSeconds(30), $"the hub sees every edge reporting {model}");

    /// <summary>
    /// Registers (signed, approved: no gate ran) a child of <paramref name="parent"/> whose every weight is finite — so the
    /// exporter and ORT accept it — but whose logits overflow: standardised inputs of 1e30 into a last layer of ±1e10 give
    /// ±infinity, and the softmax turns them into NaN. The edge's smoke run refuses it.
    /// </summary>
    private async Task<string> RegisterBrokenModelAsync(string parent)
    {
        var registry = _hub.Get<ModelRegistry>();
        var parentRecord = (await registry.Store.GetAsync(parent, CancellationToken.None))!;
        int n = FeatureSchema.Count, hidden = 8, classes = RhythmClasses.Count;
        var mean = new float[n];
        var std = new float[n];
        for (var i = 0; i < n; i++)
        {
            mean[i] = FeatureSchema.Features[i].Default - 1;
            std[i] = 1e-30f;
        }

        var first = new float[n * hidden];
        Array.Fill(first, 1e-3f);
        var last = new float[hidden * classes];
        for (var j = 0; j < last.Length; j++)
        {
            last[j] = j % classes == 0 ? 1e10f : -1e10f;
        }

        var model = new MlpModel(mean, std, [new MlpLayer(n, hidden, first, new float[hidden]), new MlpLayer(hidden, classes, last, new float[classes])]);
        var (record, _) = await registry.RegisterAsync(new ModelRegistration
        {
            Region = "eu",
            Training = new TrainingResult { Model = model, Mode = TrainingMode.Differential, TrainRows = 1 },
            DatasetVersion = parentRecord.DatasetVersion,
            Parent = parentRecord,
            CreatedBy = "test: deliberately broken",
        }, CancellationToken.None);
        Assert.Equal(ModelStatus.Approved, record.Status);
        return record.Version;
    }
}
