using System.Security.Cryptography;
using System.Text.Json;
using EdgeHub.Contracts;
using EdgeHub.Edge.Tests.Support;
using EdgeHub.Mqtt;
using EdgeHub.Parquet;
using EdgeHub.Testing;

namespace EdgeHub.Edge.Tests;

/// <summary>Agent + embedded broker + simulated ward (see <see cref="WardFixture"/>).</summary>
[Collection("ward")]
public class WardIntegrationTests(WardFixture ward)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private async Task<AlertMessage> WaitForAlert(string device, string kind)
    {
        try
        {
            await Eventually.TrueAsync(() => ward.AlertsOf(device).Any(a => a.Kind == kind && a.State == "raised"), Deadline, $"{kind} alert raised for {device}");
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message} (seen: {string.Join(", ", ward.AlertsOf(device).Select(a => a.Kind + "/" + a.State))})", ex);
        }

        return ward.AlertsOf(device).First(a => a.Kind == kind && a.State == "raised");
    }

    [Fact]
    public async Task InjectedEpisodes_RaiseTheRightAlerts()
    {
        // VT at 190/min: the NEWS2 red band escalated to critical (≥ 160/min) by the safety net, and the model's tachy class.
        var vt = await WaitForAlert("dev-00001", "hr_high");
        Assert.Equal(AlertSeverity.Critical, vt.Severity);
        Assert.Equal("safety", vt.Source);
        Assert.Equal("model", (await WaitForAlert("dev-00001", "tachy")).Source);
        Assert.NotNull(vt.Strip);
        Assert.True(vt.Strip!.MilliVolts.Length > 250, "a raised alert carries seconds of ECG strip");
        // The model-free safety net sees the run of fast wide (ventricular) beats itself.
        var vtRun = await WaitForAlert("dev-00001", "vt_run");
        Assert.Equal(AlertSeverity.Critical, vtRun.Severity);
        Assert.Equal("safety", vtRun.Source);

        var brady = await WaitForAlert("dev-00002", "hr_low");
        Assert.True(brady.HeartRate <= 40, $"hr_low alert with heart rate {brady.HeartRate}");
        var desat = await WaitForAlert("dev-00003", "spo2_low");
        Assert.True(desat.SpO2 <= 91);
        await WaitForAlert("dev-00004", "lead_off");
        await WaitForAlert("dev-00005", "hr_high");
        var model = await WaitForAlert("dev-00005", "tachy");
        Assert.Equal("model", model.Source);
        Assert.Equal("v1", model.ModelVersion);
        Assert.True(model.Probability >= 0.6f);

        // The quiet patient raises nothing; lead-off raises no asystole and no model rhythm alert (flat line is not a rhythm).
        Assert.Empty(ward.AlertsOf("dev-00006"));
        Assert.DoesNotContain(ward.AlertsOf("dev-00004"), a => a.Source == "model");
        Assert.DoesNotContain(ward.Alerts, a => a.Kind == "asystole");
        // Fast narrow beats (sinus tachycardia at 150/min) are not VT.
        Assert.DoesNotContain(ward.Alerts, a => a.Kind == "vt_run" && a.DeviceId != "dev-00001");
        // One alert id per episode: the brady patient's hr_low episode is raised exactly once.
        Assert.Single(ward.AlertsOf("dev-00002"), a => a.Kind == "hr_low" && a.State == "raised");
        // Alert messages reach the clinician side with pseudonyms, never the raw patient id.
        Assert.All(ward.Alerts, a => Assert.StartsWith("p_", a.PatientPseudonym, StringComparison.Ordinal));
    }

    [Fact]
    public async Task TamperedModel_IsRejectedWithClearLogAndOldModelKeepsServing()
    {
        var agent = ward.Harness.Agent;
        await Eventually.TrueAsync(() => ward.Feedback.Any(f => f.Feedback.ModelVersion == "v1"), Deadline, "feedback from model v1");
        await using var hub = new MqttClient(new MqttClientOptions { Host = "127.0.0.1", Port = ward.Harness.Port, ClientId = "tamper-hub" });
        await hub.ConnectAsync();

        var good = TestModels.RuleModel("v2", bias: 0.5f);
        var flipped = (byte[])good.Clone();
        flipped[flipped.Length / 2] ^= 0x01;
        var tampered = TestModels.Assign("v2", good) with { ModelBase64 = Convert.ToBase64String(flipped) };
        await hub.PublishAsync(Topics.RegionModel("eu"), JsonSerializer.SerializeToUtf8Bytes(tampered, ContractsJson.Default.ModelAssignment), MqttQos.AtLeastOnce, retain: true);
        await Eventually.TrueAsync(() => ward.Harness.Logs.Contains("model v2 refused", "SHA-256"), Deadline, "a log line saying v2 was refused for its SHA-256");

        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var foreign = TestModels.Assign("v3", TestModels.RuleModel("v3"), key: otherKey);
        await hub.PublishAsync(Topics.EdgeModel("edge-t"), JsonSerializer.SerializeToUtf8Bytes(foreign, ContractsJson.Default.ModelAssignment), MqttQos.AtLeastOnce, retain: true);
        await Eventually.TrueAsync(() => ward.Harness.Logs.Contains("model v3 refused", "signature does not verify"), Deadline, "a log line saying v3's signature failed");

        var wrongSchema = TestModels.RuleModel("v4", schemaId: "ecg-features-v0");
        var v4 = TestModels.Assign("v4", wrongSchema);
        await hub.PublishAsync(Topics.EdgeModel("edge-t"), JsonSerializer.SerializeToUtf8Bytes(v4, ContractsJson.Default.ModelAssignment), MqttQos.AtLeastOnce, retain: true);
        await Eventually.TrueAsync(() => ward.Harness.Logs.Contains("model v4 refused", "ecg-features-v0"), Deadline, "a log line saying v4 has the wrong feature schema");

        Assert.Equal("v1", agent.Models.CurrentVersion);
        var after = DateTimeOffset.UtcNow;
        await Eventually.TrueAsync(() => ward.Feedback.Count(f => f.At > after && f.Feedback.ModelVersion is not null) >= 6, Deadline, "more feedback after the refusals");
        Assert.All(ward.Feedback.Where(f => f.At > after && f.Feedback.ModelVersion is not null), f => Assert.Equal("v1", f.Feedback.ModelVersion));

        // Clear the retained pins so other tests see the region's (absent) assignment only.
        await hub.PublishAsync(Topics.EdgeModel("edge-t"), ReadOnlyMemory<byte>.Empty, MqttQos.AtLeastOnce, retain: true);
        await hub.PublishAsync(Topics.RegionModel("eu"), ReadOnlyMemory<byte>.Empty, MqttQos.AtLeastOnce, retain: true);
    }

    [Fact]
    public async Task ClinicianConfirm_LabelsTheAlertWindowsInTheNextDelta()
    {
        var alert = await WaitForAlert("dev-00005", "tachy");
        await using var clinician = new MqttClient(new MqttClientOptions { Host = "127.0.0.1", Port = ward.Harness.Port, ClientId = "clinician" });
        await clinician.ConnectAsync();
        var label = new LabelMessage { AlertId = alert.AlertId, Action = "confirm", Clinician = "dr-test", At = DateTimeOffset.UtcNow };
        await clinician.PublishAsync(Topics.Labels("ward-1"), JsonSerializer.SerializeToUtf8Bytes(label, ContractsJson.Default.LabelMessage), MqttQos.AtLeastOnce);

        await Eventually.TrueAsync(() => LabelledRows(alert.AlertId) >= 3, Deadline,
            $"at least 3 windows of alert {alert.AlertId} arrive at the hub labelled tachy");
    }

    [Fact]
    public async Task Deltas_CarryOnlyPseudonyms()
    {
        await Eventually.TrueAsync(() => ward.Hub.Committed.Count >= 2, Deadline, "two deltas committed");
        var expectedDevice = new Pseudonymizer(Convert.FromHexString(AgentHarness.DefaultOptions("x").PseudonymKey)).Pseudonymise("device", "dev-00005");
        var devices = new HashSet<string>();
        foreach (var d in ward.Hub.Committed.Values)
        {
            using var reader = new ParquetReader(d.Bytes);
            var batch = reader.ReadAll();
            for (var c = 0; c < batch.Schema.Fields.Count; c++)
            {
                if (batch.Schema.Fields[c].Type != ParquetType.String)
                {
                    continue;
                }

                foreach (var value in batch.String(c).Take(batch.RowCount))
                {
                    Assert.False(value is not null && (value.Contains("dev-0000", StringComparison.Ordinal) || value.Contains("P-0000", StringComparison.Ordinal)),
                        $"raw identifier '{value}' in column {batch.Schema.Fields[c].Name}");
                }
            }

            devices.UnionWith(batch.String(DeltaSchema.IndexOf("device_pseudonym")).Take(batch.RowCount)!);
        }

        Assert.Contains(expectedDevice, devices);
        Assert.Empty(ward.Hub.Violations);
    }

    private int LabelledRows(string alertId)
    {
        var n = 0;
        foreach (var d in ward.Hub.Committed.Values)
        {
            using var reader = new ParquetReader(d.Bytes);
            var batch = reader.ReadAll(["alert_id", "label", "label_action"]);
            for (var r = 0; r < batch.RowCount; r++)
            {
                if (batch.String(0)[r] == alertId && !batch.IsNull(1, r) && batch.Int32(1)[r] == (int)RhythmClass.Tachycardia
                    && batch.String(2)[r] == "confirm")
                {
                    n++;
                }
            }
        }

        return n;
    }
}
