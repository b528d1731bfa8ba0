using System.Net;
using System.Security.Authentication;
using EdgeHub.Cli.Demo;
using EdgeHub.Contracts;
using EdgeHub.Mqtt;
using EdgeHub.Mqtt.Protocol;
using EdgeHub.Security.Tests.Support;

namespace EdgeHub.Security.Tests;

/// <summary>
/// The hub of the secure profile: its HTTP listener speaks only HTTPS with the demo CA's certificate, its MQTT listener only
/// TLS; edges log in as themselves and reach only their own topics (deltas into their own region, their own acks/models).
/// </summary>
[Collection("secure-loop")]
public sealed class SecureHubTests(SecureLoopFixture fx)
{
    private const string OtherEdge = "edge-other";

    [Fact]
    public async Task Https_WithTheDemoCa_Works_WithoutItFails_AndPlainHttpIsRefused()
    {
        Assert.Equal("https", fx.Hub.BaseAddress.Scheme);
        using var trusted = fx.Hub.Client(HubRig.ViewerToken);
        using var ok = await trusted.GetAsync("/api/v1/regions");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);

        // The system store does not know the demo CA: the handshake fails on the client's certificate check.
        using var distrustful = new HttpClient { BaseAddress = fx.Hub.BaseAddress, Timeout = TimeSpan.FromSeconds(20) };
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => distrustful.GetAsync("/healthz"));
        Assert.IsType<AuthenticationException>(refused.InnerException);

        // Plain HTTP to the HTTPS port gets no API answer (Kestrel answers 400 or drops the connection).
        using var plain = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
        var url = new UriBuilder(fx.Hub.BaseAddress) { Scheme = "http", Port = fx.Hub.BaseAddress.Port }.Uri;
        try
        {
            using var response = await plain.GetAsync(new Uri(url, "/healthz"));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }
        catch (HttpRequestException)
        {
            // Dropped: refused as well.
        }
    }

    [Fact]
    public async Task HubMqtt_PlainTcpOrAnonymous_IsRefused_EdgeLoginWorks()
    {
        var plain = EdgeClient(EdgeRig.EdgeId);
        plain.Tls = null;
        await using (var client = new MqttClient(plain))
        {
            await Assert.ThrowsAnyAsync<Exception>(() => client.ConnectAsync());
            Assert.False(client.IsConnected);
        }

        await using (var anonymous = new MqttClient(EdgeClient(null)))
        {
            var refused = await Assert.ThrowsAsync<MqttConnectException>(() => anonymous.ConnectAsync());
            Assert.Equal(MqttReasonCode.NotAuthorized, refused.ReasonCode);
        }

        // A device's login is not valid at the hub (the hub's password file knows only the hub and the edges).
        await using (var device = new MqttClient(EdgeClient(fx.DeviceIds[0])))
        {
            var refused = await Assert.ThrowsAsync<MqttConnectException>(() => device.ConnectAsync());
            Assert.Equal(MqttReasonCode.BadUserNameOrPassword, refused.ReasonCode);
        }

        await using var edge = new MqttClient(EdgeClient(EdgeRig.EdgeId));
        await edge.ConnectAsync();
        Assert.True(edge.IsConnected);
    }

    [Fact]
    public async Task Edge_CannotSendDeltasAsAnotherEdgeOrRegion_NorReadOthersTopics()
    {
        await using var edge = new MqttClient(EdgeClient(EdgeRig.EdgeId));
        await edge.ConnectAsync();
        foreach (var topic in new[] { Topics.Delta(EdgeRig.Region, OtherEdge), Topics.Delta("na", EdgeRig.EdgeId), Topics.Status(OtherEdge),
                     Topics.RegionModel(EdgeRig.Region), Topics.Acks(OtherEdge) })
        {
            var refused = await Assert.ThrowsAsync<MqttPublishException>(async () => await edge.PublishAsync(topic, "{}"u8.ToArray(), MqttQos.AtLeastOnce));
            Assert.Equal(MqttReasonCode.NotAuthorized, refused.ReasonCode);
        }

        foreach (var filter in new[] { Topics.Acks(OtherEdge), Topics.EdgeModel(OtherEdge), Topics.RegionModel("na"), Topics.DeltasShared, "#" })
        {
            var refused = await Assert.ThrowsAsync<MqttException>(() => edge.SubscribeAsync(filter, MqttQos.AtLeastOnce));
            Assert.Equal(MqttReasonCode.NotAuthorized, refused.ReasonCode);
        }

        await edge.SubscribeAsync(Topics.Acks(EdgeRig.EdgeId), MqttQos.AtLeastOnce);
        await edge.SubscribeAsync(Topics.RegionModel(EdgeRig.Region), MqttQos.AtLeastOnce);
    }

    private MqttClientOptions EdgeClient(string? user) => new()
    {
        Host = "127.0.0.1",
        Port = fx.Hub.MqttPort,
        ClientId = "t-hub-" + Guid.NewGuid().ToString("N")[..8],
        Username = user,
        Password = user is null ? null : fx.Hub.Secure!.Credentials.PasswordOf(user),
        Tls = fx.Hub.Secure!.ClientTls(),
        AutoReconnect = false,
        ConnectTimeout = TimeSpan.FromSeconds(10),
    };
}
