using EdgeHub.Cli.Demo;
using EdgeHub.Contracts;
using EdgeHub.Mqtt;
using EdgeHub.Mqtt.Protocol;
using EdgeHub.Security.Tests.Support;

namespace EdgeHub.Security.Tests;

/// <summary>
/// The edge's settings expose the broker's security as files: a mosquitto-format ACL keyed on the client id (<c>%c</c>)
/// and a PBKDF2 password file, on the plain listener, confine a device to its own topics just the same.
/// </summary>
public sealed class ClientIdAclTests
{
    [Fact]
    public async Task ClientIdPattern_ConfinesEachDeviceToItsOwnTopics()
    {
        using var dir = new TempDir();
        var credentials = DemoCredentials.CreateRandom();
        string[] users = ["edge-sec", "dev-00001", "dev-00002"];
        var acl = DemoCredentials.WriteAcl(Path.Combine(dir.Path, "acl"),
        [
            "pattern write ehub/v1/devices/%c/telemetry",
            "pattern read ehub/v1/devices/%c/feedback",
            "user edge-sec",
            "topic read ehub/v1/devices/+/telemetry",
            "topic write ehub/v1/devices/+/feedback",
            "topic readwrite ehub/v1/sites/#",
            "topic readwrite ehub/v1/edges/#",
            "topic readwrite ehub/v1/regions/#",
            "topic readwrite ehub/v1/hub/#",
        ]);
        var passwd = credentials.WritePasswordFile(Path.Combine(dir.Path, "passwd"), users);
        await using var rig = await EdgeRig.StartAsync(o =>
        {
            o.DeviceBroker.PasswordFile = passwd;
            o.DeviceBroker.AclFile = acl;
            o.DeviceBroker.AllowAnonymous = false;
            o.DeviceBroker.Username = "edge-sec";
            o.DeviceBroker.Password = credentials.PasswordOf("edge-sec");
        });

        MqttClientOptions Device(string clientId, string user) => new()
        {
            Host = "127.0.0.1",
            Port = rig.Port,
            ClientId = clientId,
            Username = user,
            Password = credentials.PasswordOf(user),
            AutoReconnect = false,
        };

        await using var one = new MqttClient(Device("dev-00001", "dev-00001"));
        await one.ConnectAsync();
        await one.PublishAsync(Topics.Telemetry("dev-00001"), TelemetryCodec.Encode(Frames.One("dev-00001", "P-1")), MqttQos.AtLeastOnce);
        await one.SubscribeAsync(Topics.Feedback("dev-00001"), MqttQos.AtLeastOnce);
        var spoof = await Assert.ThrowsAsync<MqttPublishException>(async () =>
            await one.PublishAsync(Topics.Telemetry("dev-00002"), TelemetryCodec.Encode(Frames.One("dev-00002", "P-2")), MqttQos.AtLeastOnce));
        Assert.Equal(MqttReasonCode.NotAuthorized, spoof.ReasonCode);
        var peek = await Assert.ThrowsAsync<MqttException>(() => one.SubscribeAsync(Topics.Feedback("dev-00002"), MqttQos.AtLeastOnce));
        Assert.Equal(MqttReasonCode.NotAuthorized, peek.ReasonCode);

        // A valid login under another device's client id gets that device's topics only: %c follows the client id.
        await using var renamed = new MqttClient(Device("dev-00002", "dev-00001"));
        await renamed.ConnectAsync();
        var own = await Assert.ThrowsAsync<MqttPublishException>(async () =>
            await renamed.PublishAsync(Topics.Telemetry("dev-00001"), TelemetryCodec.Encode(Frames.One("dev-00001", "P-1")), MqttQos.AtLeastOnce));
        Assert.Equal(MqttReasonCode.NotAuthorized, own.ReasonCode);

        await using var anonymous = new MqttClient(new MqttClientOptions { Host = "127.0.0.1", Port = rig.Port, ClientId = "dev-00003", AutoReconnect = false });
        var refused = await Assert.ThrowsAsync<MqttConnectException>(() => anonymous.ConnectAsync());
        Assert.Equal(MqttReasonCode.NotAuthorized, refused.ReasonCode);
    }
}
