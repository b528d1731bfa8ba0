using System.Text;
using EdgeHub.Testing;
using MQTTnet;
using MqttNetOptions = MQTTnet.MqttClientOptions;

namespace EdgeHub.Mqtt.Tests;

/// <summary>MQTTnet 5's client (what a .NET device developer would use) against our broker.</summary>
public sealed class MqttNetClientAgainstBrokerTests
{
    [Theory]
    [InlineData(MQTTnet.Formatter.MqttProtocolVersion.V311, MqttQos.AtMostOnce)]
    [InlineData(MQTTnet.Formatter.MqttProtocolVersion.V311, MqttQos.AtLeastOnce)]
    [InlineData(MQTTnet.Formatter.MqttProtocolVersion.V311, MqttQos.ExactlyOnce)]
    [InlineData(MQTTnet.Formatter.MqttProtocolVersion.V500, MqttQos.AtMostOnce)]
    [InlineData(MQTTnet.Formatter.MqttProtocolVersion.V500, MqttQos.AtLeastOnce)]
    [InlineData(MQTTnet.Formatter.MqttProtocolVersion.V500, MqttQos.ExactlyOnce)]
    public async Task PublishSubscribe_OurBroker_AllQosInOrder(MQTTnet.Formatter.MqttProtocolVersion version, MqttQos qos)
    {
        await using var broker = await TestSupport.StartBrokerAsync();
        var (sub, received) = MqttNetPeer.Client();
        var (pub, _) = MqttNetPeer.Client();
        using var s = sub;
        using var p = pub;
        var connected = await sub.ConnectAsync(MqttNetPeer.Options(broker.Port, "sub", version).Build());
        Assert.Equal(MqttClientConnectResultCode.Success, connected.ResultCode);
        var granted = await sub.SubscribeAsync("t/#", MqttNetPeer.Level(qos));
        Assert.Equal((int)qos, (int)granted.Items.Single().ResultCode);
        await pub.ConnectAsync(MqttNetPeer.Options(broker.Port, "pub", version).Build());
        for (var i = 0; i < 500; i++)
        {
            var result = await pub.PublishAsync("t/x", BitConverter.GetBytes(i), qos);
            Assert.True(result.IsSuccess, $"publish {i}: {result.ReasonCode}");
        }
        await TestSupport.WaitUntilAsync(() => received.Count == 500, "500 messages through our broker");
        Assert.Equal(Enumerable.Range(0, 500), received.Select(m => BitConverter.ToInt32(m.Payload)));
        Assert.All(received, m => Assert.Equal(qos, m.Qos));
    }

    [Fact]
    public async Task Retained_OurBroker_DeliveredToLateMqttNetSubscriberAndCleared()
    {
        await using var broker = await TestSupport.StartBrokerAsync();
        var (pub, _) = MqttNetPeer.Client();
        using var p = pub;
        await pub.ConnectAsync(MqttNetPeer.Options(broker.Port, "rpub").Build());
        await pub.PublishAsync("model/eu", "v7"u8.ToArray(), MqttQos.AtLeastOnce, retain: true);
        var (sub, received) = MqttNetPeer.Client();
        using var s = sub;
        await sub.ConnectAsync(MqttNetPeer.Options(broker.Port, "rsub").Build());
        await sub.SubscribeAsync("model/#");
        await TestSupport.WaitUntilAsync(() => received.Count == 1, "the retained message");
        Assert.Equal(("model/eu", "v7", true), (received.Single().Topic, Encoding.UTF8.GetString(received.Single().Payload), received.Single().Retain));

        await pub.PublishAsync("model/eu", [], MqttQos.AtLeastOnce, retain: true);
        await TestSupport.WaitUntilAsync(() => broker.RetainedCount == 0, "the retained message cleared");
        var (late, lateReceived) = MqttNetPeer.Client();
        using var l = late;
        await late.ConnectAsync(MqttNetPeer.Options(broker.Port, "rlate").Build());
        await late.SubscribeAsync("model/#");
        await late.PublishAsync("model/marker", "m"u8.ToArray(), MqttQos.AtLeastOnce);
        await TestSupport.WaitUntilAsync(() => lateReceived.Count == 1, "the marker");
        Assert.Equal("model/marker", lateReceived.Single().Topic);
    }

    [Theory]
    [InlineData(MQTTnet.Formatter.MqttProtocolVersion.V311)]
    [InlineData(MQTTnet.Formatter.MqttProtocolVersion.V500)]
    public async Task Will_LinkCut_OurBrokerPublishesMqttNetClientsWill(MQTTnet.Formatter.MqttProtocolVersion version)
    {
        await using var broker = await TestSupport.StartBrokerAsync();
        // The device reaches the broker through a relay: cutting it is a link failure, no DISCONNECT is ever sent.
        await using var relay = new TcpRelay(FreePorts.Next(), broker.Port);
        relay.Heal();
        var (watcher, received) = MqttNetPeer.Client();
        using var w = watcher;
        await watcher.ConnectAsync(MqttNetPeer.Options(broker.Port, "watcher", version).Build());
        await watcher.SubscribeAsync("status/#", MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce);
        var (dying, _) = MqttNetPeer.Client();
        using var d = dying;
        await dying.ConnectAsync(MqttNetPeer.Options(relay.Port, "dying", version)
            .WithWillTopic("status/dying").WithWillPayload("offline").WithWillQualityOfServiceLevel(MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce)
            .Build());
        await TestSupport.WaitUntilAsync(() => broker.ConnectionCount == 2, "both clients connected");
        relay.Cut();
        await TestSupport.WaitUntilAsync(() => received.Count == 1, "the will message");
        Assert.Equal(("status/dying", "offline"), (received.Single().Topic, Encoding.UTF8.GetString(received.Single().Payload)));
    }

    [Fact]
    public async Task Will_MqttNetNormalDisconnect_NotPublished()
    {
        await using var broker = await TestSupport.StartBrokerAsync();
        var (watcher, received) = MqttNetPeer.Client();
        using var w = watcher;
        await watcher.ConnectAsync(MqttNetPeer.Options(broker.Port, "watcher2").Build());
        await watcher.SubscribeAsync("status/#");
        var (leaving, _) = MqttNetPeer.Client();
        using var l = leaving;
        await leaving.ConnectAsync(MqttNetPeer.Options(broker.Port, "leaving").WithWillTopic("status/leaving").WithWillPayload("offline").Build());
        await leaving.DisconnectAsync();
        await watcher.PublishAsync("status/marker", "m"u8.ToArray(), MqttQos.AtLeastOnce);
        await TestSupport.WaitUntilAsync(() => received.Count == 1, "the marker");
        Assert.Equal("status/marker", received.Single().Topic);
    }

    [Theory]
    [InlineData(MQTTnet.Formatter.MqttProtocolVersion.V311)]
    [InlineData(MQTTnet.Formatter.MqttProtocolVersion.V500)]
    public async Task PersistentSession_OurBroker_QueuedMessagesArriveAfterMqttNetReconnect(MQTTnet.Formatter.MqttProtocolVersion version)
    {
        await using var broker = await TestSupport.StartBrokerAsync();
        MqttNetOptions Persistent(bool cleanStart) => MqttNetPeer.Options(broker.Port, "persist", version)
            .WithCleanStart(cleanStart).WithCleanSession(cleanStart).WithSessionExpiryInterval(300).Build();
        var (first, _) = MqttNetPeer.Client();
        using (first)
        {
            await first.ConnectAsync(Persistent(cleanStart: version == MQTTnet.Formatter.MqttProtocolVersion.V500));
            await first.SubscribeAsync("queue/#", MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce);
            await first.DisconnectAsync();
        }
        var (pub, _) = MqttNetPeer.Client();
        using (pub)
        {
            await pub.ConnectAsync(MqttNetPeer.Options(broker.Port, "qpub", version).Build());
            for (var i = 0; i < 20; i++)
            {
                await pub.PublishAsync("queue/x", BitConverter.GetBytes(i), MqttQos.AtLeastOnce);
            }
        }
        var (second, received) = MqttNetPeer.Client();
        using var s = second;
        var result = await second.ConnectAsync(Persistent(cleanStart: false));
        Assert.True(result.IsSessionPresent, "our broker kept the MQTTnet client's session");
        await TestSupport.WaitUntilAsync(() => received.Count == 20, "20 queued messages");
        Assert.Equal(Enumerable.Range(0, 20), received.Select(m => BitConverter.ToInt32(m.Payload)));
    }

    [Fact]
    public async Task SharedSubscription_OurBroker_EachMessageToOneMqttNetMember()
    {
        await using var broker = await TestSupport.StartBrokerAsync();
        var (a, ra) = MqttNetPeer.Client();
        var (b, rb) = MqttNetPeer.Client();
        using var ua = a;
        using var ub = b;
        await a.ConnectAsync(MqttNetPeer.Options(broker.Port, "share-a").Build());
        await b.ConnectAsync(MqttNetPeer.Options(broker.Port, "share-b").Build());
        Assert.True((await a.SubscribeAsync("$share/hub/deltas/#", MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce)).Items.Single().ResultCode
            == MqttClientSubscribeResultCode.GrantedQoS1);
        await b.SubscribeAsync("$share/hub/deltas/#", MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce);
        var (pub, _) = MqttNetPeer.Client();
        using var p = pub;
        await pub.ConnectAsync(MqttNetPeer.Options(broker.Port, "share-pub").Build());
        for (var i = 0; i < 100; i++)
        {
            await pub.PublishAsync("deltas/eu/e1", BitConverter.GetBytes(i), MqttQos.AtLeastOnce);
        }
        await TestSupport.WaitUntilAsync(() => ra.Count + rb.Count == 100, "100 shared messages");
        Assert.True(!ra.IsEmpty && !rb.IsEmpty, $"both members get work (a={ra.Count}, b={rb.Count})");
        Assert.Equal(Enumerable.Range(0, 100), ra.Concat(rb).Select(m => BitConverter.ToInt32(m.Payload)).Order());
        Assert.All(ra.Concat(rb), m => Assert.Equal("deltas/eu/e1", m.Topic));
    }

    [Fact]
    public async Task MalformedPacket_FromOneClient_ClosesOnlyThatClient()
    {
        await using var broker = await TestSupport.StartBrokerAsync();
        var (device, received) = MqttNetPeer.Client();
        using var d = device;
        await device.ConnectAsync(MqttNetPeer.Options(broker.Port, "device").Build());
        await device.SubscribeAsync("t/#", MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce);
        await device.PublishAsync("t/before", "1"u8.ToArray(), MqttQos.AtLeastOnce);
        await TestSupport.WaitUntilAsync(() => received.Count == 1, "the message before the hostile client");

        // PUBLISH QoS 1 whose topic length (0x00FF) runs past the end of its 5-byte body: a malformed packet (MQTT 5 §4.13).
        await using var hostile = await RawConnection.ConnectAsync(broker.Port, "hostile");
        await hostile.SendAsync([0x32, 0x05, 0x00, 0xFF, (byte)'t', (byte)'/', (byte)'x']);
        // Our broker answers a v5 client with DISCONNECT (malformed packet), then closes the socket.
        var disconnect = Assert.IsType<Packets.MqttDisconnectPacket>(await hostile.ReadAsync());
        Assert.Equal(Protocol.MqttReasonCode.MalformedPacket, disconnect.ReasonCode);
        Assert.Null(await hostile.ReadAsync());

        Assert.True(device.IsConnected, "the MQTTnet client stayed connected");
        var after = await device.PublishAsync("t/after", "2"u8.ToArray(), MqttQos.AtLeastOnce);
        Assert.True(after.IsSuccess);
        await TestSupport.WaitUntilAsync(() => received.Count == 2, "the message after the hostile client");
        Assert.Equal(["t/before", "t/after"], received.Select(m => m.Topic));
        await TestSupport.WaitUntilAsync(() => broker.ConnectionCount == 1, "the hostile connection gone, the device's kept");
    }
}
