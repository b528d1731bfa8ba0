using System.Text.Json;
using EdgeHub.Contracts;
using EdgeHub.Mqtt;
using EdgeHub.Testing;
using Microsoft.Data.Sqlite;

namespace EdgeHub.Edge.Tests;

/// <summary>
/// A clinician's label is acknowledged (PUBACK) only after the edge store committed it: an edge killed right after the
/// acknowledgement cannot lose it. The store writer is held up on purpose, so an early PUBACK would be caught.
/// </summary>
[Collection("ward")]
public class LabelAckTests(WardFixture ward)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task LabelPubAck_WaitsForTheStoreCommit()
    {
        await Eventually.TrueAsync(() => ward.AlertsOf("dev-00002").Any(a => a.Kind == "hr_low" && a.State == "raised"), Deadline, "hr_low alert for dev-00002");
        var alert = ward.AlertsOf("dev-00002").First(a => a.Kind == "hr_low" && a.State == "raised");
        await using var clinician = new MqttClient(new MqttClientOptions { Host = "127.0.0.1", Port = ward.Harness.Port, ClientId = "clinician-ack" });
        await clinician.ConnectAsync();

        using var gate = new ManualResetEventSlim(false);
        using var writerHeld = new ManualResetEventSlim(false);
        ward.Harness.Agent.Writer.Post(_ =>
        {
            writerHeld.Set();
            gate.Wait(TimeSpan.FromSeconds(30)); // bounded: a failing test must not hang the store writer forever
        });
        Task publish;
        try
        {
            Assert.True(writerHeld.Wait(TimeSpan.FromSeconds(30)), "the store writer reached the blocking operation");
            var label = new LabelMessage { AlertId = alert.AlertId, Action = "confirm", Clinician = "dr-ack", At = DateTimeOffset.UtcNow };
            publish = clinician.PublishAsync(Topics.Labels("ward-1"), JsonSerializer.SerializeToUtf8Bytes(label, ContractsJson.Default.LabelMessage), MqttQos.AtLeastOnce).AsTask();
            var early = await Task.WhenAny(publish, Task.Delay(TimeSpan.FromMilliseconds(750)));
            Assert.NotSame(publish, early); // acknowledged while the label could not have been committed
            Assert.Equal(0, StoredLabels(alert.AlertId));
        }
        finally
        {
            gate.Set();
        }

        await publish.WaitAsync(Deadline);
        // Acknowledged, so committed: visible to another connection at once, no waiting.
        Assert.True(StoredLabels(alert.AlertId) > 0, $"label of alert {alert.AlertId} is in the store when its PUBACK arrives");
    }

    /// <summary>Committed rows carrying the "confirm" label of <paramref name="alertId"/> (remembered alert label or labelled windows).</summary>
    private int StoredLabels(string alertId)
    {
        var path = Path.Combine(ward.Harness.Agent.Options.ResolveDataDirectory(), "edge.db");
        using var db = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = """
            SELECT (SELECT count(*) FROM alert_labels WHERE alert_id = $a AND label_action = 'confirm')
                 + (SELECT count(*) FROM windows WHERE alert_id = $a AND label_action = 'confirm')
            """;
        cmd.Parameters.AddWithValue("$a", alertId);
        return Convert.ToInt32(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
