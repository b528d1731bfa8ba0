using System.Collections.Concurrent;
using System.Text;
using EdgeHub.Faults.Tests.Rig;
using EdgeHub.Mqtt;
using EdgeHub.Testing;
using Xunit.Abstractions;

namespace EdgeHub.Faults.Tests;

/// <summary>
/// Faults of the uplink between edge and hub: the standalone broker (`edgehub broker --persistence DIR`) SIGKILLed at
/// random points and restarted, the edge cut off from it for a while (its TCP path dropped and refused) while devices
/// keep streaming, a half-open link (deltas arrive, acks vanish: resends the hub must de-duplicate); plus what a broker
/// restart must keep of persistent sessions.
/// </summary>
[Collection(FaultCollection.Name)]
public class BrokerFaultTests(ITestOutputHelper output)
{
    [Fact]
    public async Task BrokerSigkilledAndEdgeCutOff_EveryoneReconnectsAndEveryWindowIsInTheDatasetOnce()
    {
        await using var rig = FaultRig.Create(new RigSettings(), output, "broker");
        var run = new FaultRun(rig);
        await using var ward = await run.StartWardAsync(devices: 16);

        await KillBrokerAsync(rig, run, 1);

        // The edge is cut off from the hub: it keeps taking frames, computing windows and sealing (up to its unacked limit).
        var before = await rig.EdgeMetricsAsync();
        rig.Log("uplink cut");
        rig.Uplink.Cut();
        await run.WaitEdgeMetricAsync("edgehub_edge_store_unacked_deltas", 2, TimeSpan.FromSeconds(60), "deltas queue up locally while the edge is cut off");
        await run.WaitEdgeMetricAsync("edgehub_edge_windows_total", before["edgehub_edge_windows_total"] + 48, TimeSpan.FromSeconds(60),
            "the cut-off edge keeps computing windows");
        Assert.Equal(0, await rig.EdgeMetricAsync("edgehub_edge_hub_connected"));
        var acked = await run.AckedAsync();
        rig.Log($"uplink healed ({await rig.EdgeMetricAsync("edgehub_edge_store_unacked_deltas")} deltas waiting)");
        rig.Uplink.Heal();
        await run.WaitEdgeMetricAsync("edgehub_edge_deltas_acked_total", acked + 3, TimeSpan.FromSeconds(60), "the queued deltas arrive once the link heals");

        // A half-open link: the edge's deltas still reach the hub and are committed, but acks (and PUBACKs) vanish; once
        // the hub committed deltas the edge never heard about, the link resets and the edge reconnects and resends every
        // unacknowledged delta (its MQTT client resends un-PUBACKed PUBLISHes too): the hub must see them as duplicates.
        const string Committed = "result=\"committed\"";
        var committed = await rig.HubMetricAsync("ehub_hub_deltas_total", Committed);
        rig.Log("uplink half-open: replies dropped");
        rig.Uplink.DropReplies = true;
        await Eventually.TrueAsync(async () => await rig.HubMetricAsync("ehub_hub_deltas_total", Committed) >= committed + 1, TimeSpan.FromSeconds(60),
            "the hub commits a delta sent over the half-open link");
        rig.Uplink.Cut();
        rig.Uplink.DropReplies = false;
        rig.Uplink.Heal();
        acked = await run.AckedAsync();
        await run.WaitEdgeMetricAsync("edgehub_edge_deltas_acked_total", acked + 3, TimeSpan.FromSeconds(60), "acks flow again after the link reset");
        await Eventually.TrueAsync(async () => await rig.HubMetricAsync("ehub_hub_deltas_total", "result=\"duplicate\"") > 0, TimeSpan.FromSeconds(30),
            "the hub recognises the resent, already committed delta as a duplicate");

        await KillBrokerAsync(rig, run, 2);
        var audit = await run.FinishAsync(ward, everyFrameKept: true);
        Assert.True(audit.HubWindows > 150, $"only {audit.HubWindows} windows reached the dataset");
        Assert.True(audit.HubLabelledWindows > 0, $"no labelled window reached the dataset ({ward.Answered.Count} alerts answered)");
    }

    [Fact]
    public async Task BrokerSigkilledAndRestarted_PersistentSessionKeepsSubscriptionQueuedMessagesAndRetained()
    {
        await using var rig = FaultRig.Create(new RigSettings(), output, "session");
        await rig.StartBrokerAsync();
        var received = new ConcurrentQueue<string>();
        var subscriberOptions = new MqttClientOptions
        {
            Port = rig.BrokerPort,
            ClientId = "faults-persistent",
            CleanStart = false,
            SessionExpiryInterval = 600,
            AutoReconnect = false,
        };
        await using (var subscriber = new MqttClient(subscriberOptions))
        {
            await subscriber.ConnectAsync();
            await subscriber.SubscribeAsync("faults/session/#", MqttQos.AtLeastOnce);
        }

        // Offline now: the broker owes the session every QoS 1 message from here on.
        await using (var publisher = new MqttClient(new MqttClientOptions { Port = rig.BrokerPort, ClientId = "faults-publisher" }))
        {
            await publisher.ConnectAsync();
            for (var i = 0; i < 5; i++)
            {
                await publisher.PublishAsync($"faults/session/{i}", Encoding.UTF8.GetBytes($"m{i}"), MqttQos.AtLeastOnce);
            }

            await publisher.PublishAsync("faults/retained", Encoding.UTF8.GetBytes("kept"), MqttQos.AtLeastOnce, retain: true);
        }

        rig.Log("SIGKILL broker with an offline persistent session owed 5 messages");
        rig.Broker.Kill();
        await rig.StartBrokerAsync();

        await using var back = new MqttClient(subscriberOptions);
        back.MessageReceived = (m, _) =>
        {
            received.Enqueue(Encoding.UTF8.GetString(m.Payload.Span));
            return ValueTask.CompletedTask;
        };
        await back.ConnectAsync();
        Assert.True(back.SessionPresent, $"the session did not survive the broker's SIGKILL\n{rig.Broker.LogTail()}");
        rig.Log("persistent session resumed");
        // At once, not at the client's first keep-alive ping 15 s later (bytes behind the CONNACK were once left unread).
        await Eventually.TrueAsync(() => received.Count >= 5, TimeSpan.FromSeconds(5), "the 5 queued messages are delivered right after the restart");
        rig.Log("queued messages delivered");
        Assert.Equal(["m0", "m1", "m2", "m3", "m4"], received.ToArray());

        var retained = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var late = new MqttClient(new MqttClientOptions { Port = rig.BrokerPort, ClientId = "faults-late" });
        late.MessageReceived = (m, _) =>
        {
            retained.TrySetResult(Encoding.UTF8.GetString(m.Payload.Span));
            return ValueTask.CompletedTask;
        };
        await late.ConnectAsync();
        await late.SubscribeAsync("faults/retained", MqttQos.AtLeastOnce);
        Assert.Equal("kept", await Eventually.WithinAsync(retained.Task, TimeSpan.FromSeconds(10), "the retained message survives the restart"));
        rig.Log("retained message delivered");
    }

    private static async Task KillBrokerAsync(FaultRig rig, FaultRun run, int kill)
    {
        await run.RandomPauseAsync(0, 3000);
        var acked = await run.AckedAsync();
        rig.Log($"SIGKILL broker #{kill} (edge has {acked} acks)");
        rig.Broker.Kill();
        await run.RandomPauseAsync(500, 3000);
        await rig.StartBrokerAsync();
        await rig.WaitHubReadyAsync();
        await run.WaitEdgeMetricAsync("edgehub_edge_deltas_acked_total", acked + 3, TimeSpan.FromSeconds(60),
            $"hub and edge reconnect to the restarted broker (#{kill}) and deltas flow again");
    }
}
