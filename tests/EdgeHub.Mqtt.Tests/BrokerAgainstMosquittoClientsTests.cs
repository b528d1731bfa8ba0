using System.Globalization;

namespace EdgeHub.Mqtt.Tests;

/// <summary>mosquitto_pub and mosquitto_sub (the reference command-line clients) against our broker.</summary>
public sealed class BrokerAgainstMosquittoClientsTests
{
    private static string P(int port) => port.ToString(CultureInfo.InvariantCulture);

    [Theory]
    [InlineData("mqttv311", "0")]
    [InlineData("mqttv311", "1")]
    [InlineData("mqttv311", "2")]
    [InlineData("mqttv5", "0")]
    [InlineData("mqttv5", "1")]
    [InlineData("mqttv5", "2")]
    public async Task MosquittoPubSub_OurBroker_Delivers(string version, string qos)
    {
        await using var broker = await TestSupport.StartBrokerAsync();
        await using var sub = ToolRun.Start("mosquitto_sub", "-h", "127.0.0.1", "-p", P(broker.Port), "-V", version, "-q", qos, "-t", "ehub/+/telemetry", "-C", "3", "-v", "-i", "msub");
        await TestSupport.WaitUntilAsync(() => broker.SubscriptionCount == 1, "mosquitto_sub to subscribe");
        for (var i = 0; i < 3; i++)
        {
            await using var pub = ToolRun.Start("mosquitto_pub", "-h", "127.0.0.1", "-p", P(broker.Port), "-V", version, "-q", qos, "-t", "ehub/d1/telemetry", "-m", "frame" + i);
            Assert.Equal(0, await pub.WaitAsync("mosquitto_pub"));
        }
        Assert.Equal(0, await sub.WaitAsync("mosquitto_sub"));
        Assert.Equal(["ehub/d1/telemetry frame0", "ehub/d1/telemetry frame1", "ehub/d1/telemetry frame2"], sub.Lines);
    }

    [Theory]
    [InlineData("mqttv311")]
    [InlineData("mqttv5")]
    public async Task MosquittoPubRetained_OurBroker_LateSubscriberGetsIt(string version)
    {
        await using var broker = await TestSupport.StartBrokerAsync();
        await using (var pub = ToolRun.Start("mosquitto_pub", "-p", P(broker.Port), "-V", version, "-q", "1", "-r", "-t", "ehub/v1/regions/eu/model", "-m", "model-v3"))
        {
            Assert.Equal(0, await pub.WaitAsync("mosquitto_pub -r"));
        }
        await using var sub = ToolRun.Start("mosquitto_sub", "-p", P(broker.Port), "-V", version, "-t", "ehub/v1/regions/+/model", "-C", "1", "-v");
        Assert.Equal(0, await sub.WaitAsync("mosquitto_sub"));
        Assert.Equal(["ehub/v1/regions/eu/model model-v3"], sub.Lines);
    }

    [Theory]
    [InlineData("mqttv311")]
    [InlineData("mqttv5")]
    public async Task MosquittoSubWill_KilledClient_OurBrokerPublishesWill(string version)
    {
        await using var broker = await TestSupport.StartBrokerAsync();
        await using var watcher = ToolRun.Start("mosquitto_sub", "-p", P(broker.Port), "-V", version, "-t", "ehub/v1/edges/+/status", "-C", "1", "-v", "-i", "watcher");
        await using var dying = ToolRun.Start("mosquitto_sub", "-p", P(broker.Port), "-V", version, "-t", "x/y", "-i", "edge-7",
            "--will-topic", "ehub/v1/edges/edge-7/status", "--will-payload", "offline", "--will-qos", "1");
        await TestSupport.WaitUntilAsync(() => broker.SubscriptionCount == 2, "both mosquitto_sub to subscribe");
        dying.Kill(); // no DISCONNECT: the socket just closes
        Assert.Equal(0, await watcher.WaitAsync("the will"));
        Assert.Equal(["ehub/v1/edges/edge-7/status offline"], watcher.Lines);
    }

    [Fact]
    public async Task MosquittoSharedSubscription_OurBroker_SplitsMessages()
    {
        await using var broker = await TestSupport.StartBrokerAsync();
        await using var a = ToolRun.Start("mosquitto_sub", "-p", P(broker.Port), "-V", "mqttv5", "-q", "1", "-t", "$share/hub/ehub/v1/hub/deltas/#", "-i", "hub-a");
        await using var b = ToolRun.Start("mosquitto_sub", "-p", P(broker.Port), "-V", "mqttv5", "-q", "1", "-t", "$share/hub/ehub/v1/hub/deltas/#", "-i", "hub-b");
        await TestSupport.WaitUntilAsync(() => broker.SubscriptionCount == 2, "both shared subscribers");
        await using var client = TestSupport.Client(broker.Port, "edge-pub");
        await client.ConnectAsync();
        for (var i = 0; i < 40; i++)
        {
            await client.PublishAsync("ehub/v1/hub/deltas/eu/e1", System.Text.Encoding.UTF8.GetBytes("d" + i.ToString(CultureInfo.InvariantCulture)));
        }
        await TestSupport.WaitUntilAsync(() => a.Lines.Length + b.Lines.Length == 40, "40 deltas split across the group");
        Assert.NotEmpty(a.Lines);
        Assert.NotEmpty(b.Lines);
        Assert.Equal(Enumerable.Range(0, 40).Select(i => "d" + i.ToString(CultureInfo.InvariantCulture)).Order(), a.Lines.Concat(b.Lines).Order());
    }

    [Fact]
    public async Task MosquittoPubTls_OurBrokerTlsListener_Delivers()
    {
        var certs = TestCertificates.Create();
        await using var broker = await TestSupport.StartBrokerAsync(o =>
        {
            o.Port = -1;
            o.TlsPort = 0;
            o.TlsCertificate = MqttBrokerOptions.LoadPemCertificate(certs.CertFile, certs.KeyFile);
        });
        await using var sub = TestSupport.Client(broker.TlsPort, "tls-sub", configure: o => o.Tls = new MqttTlsOptions { CaFile = certs.CaFile });
        var got = new TaskCompletionSource<string>();
        sub.MessageReceived = (m, _) => { got.TrySetResult(System.Text.Encoding.UTF8.GetString(m.Payload.Span)); return ValueTask.CompletedTask; };
        await sub.ConnectAsync();
        await sub.SubscribeAsync("secure/#");
        await using var pub = ToolRun.Start("mosquitto_pub", "-h", "127.0.0.1", "-p", P(broker.TlsPort), "--cafile", certs.CaFile, "-V", "mqttv5", "-q", "1", "-t", "secure/a", "-m", "over-tls");
        Assert.Equal(0, await pub.WaitAsync("mosquitto_pub over TLS"));
        Assert.Equal("over-tls", await got.Task.WithTimeout("the TLS message"));
    }

    [Fact]
    public async Task MosquittoPub_WrongCa_TlsHandshakeFails()
    {
        var certs = TestCertificates.Create();
        var other = TestCertificates.Create();
        await using var broker = await TestSupport.StartBrokerAsync(o =>
        {
            o.TlsPort = 0;
            o.TlsCertificate = MqttBrokerOptions.LoadPemCertificate(certs.CertFile, certs.KeyFile);
        });
        await using var pub = ToolRun.Start("mosquitto_pub", "-p", P(broker.TlsPort), "--cafile", other.CaFile, "-t", "secure/a", "-m", "x");
        Assert.NotEqual(0, await pub.WaitAsync("mosquitto_pub with the wrong CA"));
        await using var client = TestSupport.Client(broker.TlsPort, "wrong-ca", configure: o => { o.Tls = new MqttTlsOptions { CaFile = other.CaFile }; o.AutoReconnect = false; });
        await Assert.ThrowsAsync<MqttConnectException>(() => client.ConnectAsync());
    }

    [Theory]
    [InlineData("mqttv311")]
    [InlineData("mqttv5")]
    public async Task MosquittoPubSub_PasswordAndAcl_DeniesOutsideGrants(string version)
    {
        var dir = TestSupport.TempDir();
        var passwd = Path.Combine(dir, "passwd");
        // One entry from mosquitto_passwd itself (interop of the hash format), one from ours.
        await using (var mp = ToolRun.Start("mosquitto_passwd", "-c", "-b", passwd, "device1", "devpass"))
        {
            Assert.Equal(0, await mp.WaitAsync("mosquitto_passwd"));
        }
        await File.AppendAllTextAsync(passwd, "hub:" + Security.MqttPasswordFile.HashPassword("hubpass") + "\n");
        var acl = Path.Combine(dir, "acl");
        await File.WriteAllTextAsync(acl, "user hub\ntopic read ehub/#\n\npattern write ehub/v1/devices/%c/telemetry\npattern read ehub/v1/devices/%c/feedback\n");
        await using var broker = await TestSupport.StartBrokerAsync(o => { o.PasswordFile = passwd; o.AclFile = acl; o.AllowAnonymous = false; });
        var port = P(broker.Port);

        await using var hub = ToolRun.Start("mosquitto_sub", "-p", port, "-V", version, "-u", "hub", "-P", "hubpass", "-t", "ehub/#", "-v", "-i", "hub");
        await TestSupport.WaitUntilAsync(() => broker.SubscriptionCount == 1, "the hub subscription");
        // Allowed: the device publishes its own telemetry (%c = its client id).
        await using (var ok = ToolRun.Start("mosquitto_pub", "-p", port, "-V", version, "-q", "1", "-u", "device1", "-P", "devpass", "-i", "dev-1", "-t", "ehub/v1/devices/dev-1/telemetry", "-m", "allowed"))
        {
            Assert.Equal(0, await ok.WaitAsync("allowed publish"));
        }
        // Denied: another device's topic. v5 gets PUBACK 0x87; 3.1.1 is acknowledged but the message is dropped.
        await using (var denied = ToolRun.Start("mosquitto_pub", "-p", port, "-V", version, "-q", "1", "-u", "device1", "-P", "devpass", "-i", "dev-1", "-t", "ehub/v1/devices/dev-2/telemetry", "-m", "denied"))
        {
            await denied.WaitAsync("denied publish");
            if (version == "mqttv5")
            {
                Assert.Contains("Not authorized", denied.Error + denied.Output, StringComparison.OrdinalIgnoreCase);
            }
        }
        // Bad password is refused at CONNECT.
        await using (var bad = ToolRun.Start("mosquitto_pub", "-p", port, "-V", version, "-u", "device1", "-P", "nope", "-t", "ehub/v1/devices/x/telemetry", "-m", "x"))
        {
            Assert.NotEqual(0, await bad.WaitAsync("bad password"));
            Assert.Contains("not authori", (bad.Error + bad.Output).Replace("bad user name or password", "not authorised", StringComparison.OrdinalIgnoreCase), StringComparison.OrdinalIgnoreCase);
        }
        // Marker after the denied one: if the denied message had been routed it would arrive before this.
        await using (var marker = ToolRun.Start("mosquitto_pub", "-p", port, "-V", version, "-q", "1", "-u", "device1", "-P", "devpass", "-i", "dev-1", "-t", "ehub/v1/devices/dev-1/telemetry", "-m", "marker"))
        {
            Assert.Equal(0, await marker.WaitAsync("marker publish"));
        }
        await TestSupport.WaitUntilAsync(() => hub.Lines.Length >= 2, "allowed + marker at the hub");
        Assert.Equal(["ehub/v1/devices/dev-1/telemetry allowed", "ehub/v1/devices/dev-1/telemetry marker"], hub.Lines);
        // Subscribing outside the grants is refused in SUBACK.
        await using var nosy = ToolRun.Start("mosquitto_sub", "-p", port, "-V", version, "-u", "device1", "-P", "devpass", "-i", "dev-1", "-t", "ehub/v1/devices/dev-2/feedback");
        // mosquitto_sub reports "All subscription requests were denied." for a SUBACK failure code (both versions).
        await TestSupport.WaitUntilAsync(() => nosy.Error.Contains("denied", StringComparison.OrdinalIgnoreCase), $"the SUBACK failure (stderr: {nosy.Error})");
    }
}
