using System.Collections.Concurrent;
using System.Net.Sockets;
using EdgeHub.Cli.Demo;
using EdgeHub.Contracts;
using EdgeHub.Mqtt;
using EdgeHub.Mqtt.Protocol;
using EdgeHub.Security.Tests.Support;
using EdgeHub.Simulator;
using EdgeHub.Testing;

namespace EdgeHub.Security.Tests;

/// <summary>
/// The edge's device broker with the secure demo's password file and ACL: a device reaches its own topics and nothing of
/// another device's; clinician topics are out of its reach; clients without (valid) credentials are refused at CONNECT.
/// </summary>
[Collection("secure-edge")]
public sealed class DeviceBrokerAclTests(SecureEdgeFixture fx)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private static string DeviceA => SecureEdgeFixture.DeviceIds[0];
    private static string DeviceB => SecureEdgeFixture.DeviceIds[1];

    /// <summary>A device no test ever streams as: a frame ever seen for it came through a spoof.</summary>
    private static string Victim => SecureEdgeFixture.DeviceIds[4];

    [Fact]
    public async Task Device_PublishesToAnotherDevicesTelemetry_IsNotAuthorizedAndNeverProcessed()
    {
        await using var a = new MqttClient(fx.Client(DeviceA));
        await a.ConnectAsync();
        var frame = TelemetryCodec.Encode(Frames.One(Victim, "P-SPOOF"));

        var refused = await Assert.ThrowsAsync<MqttPublishException>(async () => await a.PublishAsync(Topics.Telemetry(Victim), frame, MqttQos.AtLeastOnce));
        Assert.Equal(MqttReasonCode.NotAuthorized, refused.ReasonCode);
        // Its own topic is fine: the broker acknowledges and the edge takes the frame. One client's messages arrive in
        // order, so once A's own frame is in, a spoof that got through would be in as well.
        await a.PublishAsync(Topics.Telemetry(DeviceA), TelemetryCodec.Encode(Frames.One(DeviceA, "P-A")), MqttQos.AtLeastOnce);
        await Eventually.TrueAsync(() => fx.Rig.Agent.Devices.Find(DeviceA) is not null, Deadline, "the edge receives device A's own frame");
        Assert.Null(fx.Rig.Agent.Devices.Find(Victim));
    }

    [Fact]
    public async Task Device_V311_SpoofedTelemetry_IsDroppedByTheBroker()
    {
        // MQTT 3.1.1 has no reason code in PUBACK: the broker acknowledges and drops. The edge must never see the frame.
        var device = SecureEdgeFixture.DeviceIds[3];
        await using var d = new MqttClient(fx.Client(device, version: MqttProtocolVersion.V311));
        await d.ConnectAsync();
        await d.PublishAsync(Topics.Telemetry(Victim), TelemetryCodec.Encode(Frames.One(Victim, "P-SPOOF")), MqttQos.AtLeastOnce);
        // Then its own frame: messages of one client arrive in order, so once this one is in, the spoof would have been too.
        await d.PublishAsync(Topics.Telemetry(device), TelemetryCodec.Encode(Frames.One(device, "P-D")), MqttQos.AtLeastOnce);
        await Eventually.TrueAsync(() => fx.Rig.Agent.Devices.Find(device) is not null, Deadline, "the edge receives the device's own frame");
        Assert.Null(fx.Rig.Agent.Devices.Find(Victim));
    }

    [Theory]
    [InlineData("ehub/v1/devices/{B}/feedback")]
    [InlineData("ehub/v1/devices/+/feedback")]
    [InlineData("ehub/v1/devices/#")]
    [InlineData("ehub/v1/devices/{B}/telemetry")]
    [InlineData("ehub/v1/sites/+/alerts")]
    [InlineData("#")]
    public async Task Device_SubscribesBeyondItsOwnFeedback_IsNotAuthorized(string filter)
    {
        await using var a = new MqttClient(fx.Client(DeviceA));
        await a.ConnectAsync();
        var refused = await Assert.ThrowsAsync<MqttException>(() => a.SubscribeAsync(filter.Replace("{B}", DeviceB, StringComparison.Ordinal), MqttQos.AtLeastOnce));
        Assert.Equal(MqttReasonCode.NotAuthorized, refused.ReasonCode);
        await a.SubscribeAsync(Topics.Feedback(DeviceA), MqttQos.AtLeastOnce);
    }

    [Fact]
    public async Task Device_PublishesLabelsOrAlerts_IsNotAuthorized()
    {
        await using var a = new MqttClient(fx.Client(DeviceA));
        await a.ConnectAsync();
        foreach (var topic in new[] { Topics.Labels("ward-1"), Topics.Alerts("ward-1"), Topics.Feedback(DeviceB), Topics.RegionModel(EdgeRig.Region) })
        {
            var refused = await Assert.ThrowsAsync<MqttPublishException>(async () => await a.PublishAsync(topic, "{}"u8.ToArray(), MqttQos.AtLeastOnce));
            Assert.Equal(MqttReasonCode.NotAuthorized, refused.ReasonCode);
        }
    }

    [Fact]
    public async Task Fleet_WithPerDeviceCredentials_GetsOnlyItsOwnFeedback()
    {
        // Two devices stream through TLS with their own logins; a third client (device C) listens on its own feedback only.
        var feedbackTopics = new ConcurrentBag<string>();
        await using var c = new MqttClient(fx.Client(SecureEdgeFixture.DeviceIds[2]));
        c.MessageReceived = (m, _) =>
        {
            feedbackTopics.Add(m.Topic);
            return ValueTask.CompletedTask;
        };
        await c.ConnectAsync();
        await c.SubscribeAsync(Topics.Feedback(SecureEdgeFixture.DeviceIds[2]), MqttQos.AtMostOnce);

        await using var fleet = new Fleet(new FleetOptions
        {
            BrokerPort = fx.Rig.Port,
            Devices = 2,
            Qos = MqttQos.AtLeastOnce,
            ClientIdPrefix = "acl-sim",
            Scenario = SecureEdgeFixture.FleetScenario,
            Tls = fx.Secure.ClientTls(),
            DevicePassword = fx.Secure.Credentials.PasswordOf,
            Duration = TimeSpan.FromSeconds(60),
        });
        using var stop = new CancellationTokenSource();
        var run = fleet.RunAsync(stop.Token);
        try
        {
            await Eventually.TrueAsync(() => fleet.Stats.Feedback >= 4, Deadline, "both devices receive feedback on their own topics over TLS");
            Assert.Equal(0, fleet.Stats.ConnectFailures);
            Assert.Equal(0, fleet.Stats.FeedbackUnmatched);
            Assert.Equal(0, fleet.Stats.PublishErrors);
        }
        finally
        {
            await stop.CancelAsync();
            await run.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
        }

        Assert.Empty(feedbackTopics); // C never sees the others' feedback
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V500)]
    [InlineData(MqttProtocolVersion.V311)]
    public async Task Client_WithoutCredentials_IsRefusedNotAuthorized(MqttProtocolVersion version)
    {
        await using var anonymous = new MqttClient(fx.Client(null, version: version));
        var refused = await Assert.ThrowsAsync<MqttConnectException>(() => anonymous.ConnectAsync());
        Assert.Equal(MqttReasonCode.NotAuthorized, refused.ReasonCode);
        Assert.False(anonymous.IsConnected);
    }

    [Fact]
    public async Task Client_WithWrongPasswordOrUnknownUser_IsRefused()
    {
        await using var wrong = new MqttClient(fx.Client(DeviceA, password: "not-the-password"));
        var refused = await Assert.ThrowsAsync<MqttConnectException>(() => wrong.ConnectAsync());
        Assert.Equal(MqttReasonCode.BadUserNameOrPassword, refused.ReasonCode);

        // Another device's password does not open device A's account.
        await using var swapped = new MqttClient(fx.Client(DeviceA, password: fx.Secure.Credentials.PasswordOf(DeviceB)));
        refused = await Assert.ThrowsAsync<MqttConnectException>(() => swapped.ConnectAsync());
        Assert.Equal(MqttReasonCode.BadUserNameOrPassword, refused.ReasonCode);

        await using var stranger = new MqttClient(fx.Client("dev-99999", password: "whatever-it-is"));
        refused = await Assert.ThrowsAsync<MqttConnectException>(() => stranger.ConnectAsync());
        Assert.Equal(MqttReasonCode.BadUserNameOrPassword, refused.ReasonCode);
    }

    [Fact]
    public async Task PlainTcpClient_OnTheTlsOnlyBroker_IsRefused()
    {
        // A correct login over plain TCP: the listener speaks only TLS, so the broker drops the connection without a CONNACK.
        var plain = fx.Client(DeviceA);
        plain.Tls = null;
        await using var client = new MqttClient(plain);
        await Assert.ThrowsAnyAsync<Exception>(() => client.ConnectAsync());
        Assert.False(client.IsConnected);

        // A TLS client that does not trust the demo CA is refused by its own certificate check.
        var untrusted = fx.Client(DeviceA);
        untrusted.Tls = new MqttTlsOptions();
        await using var distrustful = new MqttClient(untrusted);
        await Assert.ThrowsAnyAsync<Exception>(() => distrustful.ConnectAsync());
        Assert.False(distrustful.IsConnected);
    }

    [Fact]
    public async Task Clinician_ReadsAlertsWritesLabels_ButNotDeviceTelemetry()
    {
        var user = DemoCredentials.ClinicianUser(EdgeRig.Region);
        await using var clinician = new MqttClient(fx.Client(user));
        await clinician.ConnectAsync();
        await clinician.SubscribeAsync(Topics.AllAlerts, MqttQos.AtLeastOnce);
        var refused = await Assert.ThrowsAsync<MqttException>(() => clinician.SubscribeAsync(Topics.AllTelemetry, MqttQos.AtLeastOnce));
        Assert.Equal(MqttReasonCode.NotAuthorized, refused.ReasonCode);
        var spoof = await Assert.ThrowsAsync<MqttPublishException>(async () =>
            await clinician.PublishAsync(Topics.Telemetry(DeviceA), TelemetryCodec.Encode(Frames.One(DeviceA, "P-A")), MqttQos.AtLeastOnce));
        Assert.Equal(MqttReasonCode.NotAuthorized, spoof.ReasonCode);
    }

    [Fact]
    public async Task PlainSocket_SpeakingMqtt_ToTlsPort_IsClosedWithoutConnAck()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync("127.0.0.1", fx.Rig.Port);
        // MQTT 3.1.1 CONNECT, client id "x", clean session, keep alive 60.
        byte[] connect = [0x10, 13, 0, 4, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 4, 2, 0, 60, 0, 1, (byte)'x'];
        await socket.SendAsync(connect);
        var buffer = new byte[64];
        using var timeout = new CancellationTokenSource(Deadline);
        int read;
        try
        {
            read = await socket.ReceiveAsync(buffer, timeout.Token);
        }
        catch (SocketException)
        {
            read = 0; // reset: refused as well
        }

        // Either closed (0) or a TLS alert record (content type 21); never an MQTT CONNACK (0x20).
        Assert.True(read == 0 || buffer[0] == 21, $"expected the connection to be dropped or a TLS alert, got first byte 0x{buffer[0]:x2} of {read}");
    }
}
