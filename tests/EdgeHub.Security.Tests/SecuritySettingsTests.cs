using EdgeHub.Cli.Demo;
using EdgeHub.Edge;
using EdgeHub.Hub.Options;
using EdgeHub.Security.Tests.Support;

namespace EdgeHub.Security.Tests;

/// <summary>
/// A wrong security setting stops the edge or the hub at start with a sentence that names the setting and what to do,
/// instead of a listener that is silently open or a failure at the first CONNECT.
/// </summary>
public sealed class SecuritySettingsTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Edge_TlsPortWithoutCertificate_NamesTheSettings()
    {
        var options = EdgeRig.DefaultOptions(_dir.Path);
        options.DeviceBroker.TlsPort = 0;
        var error = Assert.Throws<EdgeConfigurationException>(options.Validate);
        Assert.Contains("Edge:DeviceBroker:TlsPort", error.Message, StringComparison.Ordinal);
        Assert.Contains("CertificateFile/KeyFile", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Edge_NoListenerAtAll_IsRefused()
    {
        var options = EdgeRig.DefaultOptions(_dir.Path);
        options.DeviceBroker.Port = -1;
        var error = Assert.Throws<EdgeConfigurationException>(options.Validate);
        Assert.Contains("needs at least one listener", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Edge_MissingPasswordOrAclFile_NamesTheFile()
    {
        var options = EdgeRig.DefaultOptions(_dir.Path);
        options.DeviceBroker.PasswordFile = Path.Combine(_dir.Path, "nope.passwd");
        var error = Assert.Throws<EdgeConfigurationException>(options.Validate);
        Assert.Contains("Edge:DeviceBroker:PasswordFile", error.Message, StringComparison.Ordinal);
        Assert.Contains("nope.passwd", error.Message, StringComparison.Ordinal);

        options.DeviceBroker.PasswordFile = null;
        options.DeviceBroker.AclFile = Path.Combine(_dir.Path, "nope.acl");
        error = Assert.Throws<EdgeConfigurationException>(options.Validate);
        Assert.Contains("Edge:DeviceBroker:AclFile", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Edge_AnonymousOffWithoutPasswordFile_IsRefused()
    {
        // Without a password file any user name would pass: "no anonymous" would be an illusion.
        var options = EdgeRig.DefaultOptions(_dir.Path);
        options.DeviceBroker.AllowAnonymous = false;
        var error = Assert.Throws<EdgeConfigurationException>(options.Validate);
        Assert.Contains("AllowAnonymous is false but no PasswordFile", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Edge_CertificateThatIsNotPem_FailsWithTheSettingName()
    {
        var cert = Path.Combine(_dir.Path, "bad.crt");
        var key = Path.Combine(_dir.Path, "bad.key");
        File.WriteAllText(cert, "not a certificate");
        File.WriteAllText(key, "not a key");
        var broker = new Edge.BrokerOptions { Embedded = true, Port = -1, TlsPort = 0, CertificateFile = cert, KeyFile = key };
        var error = Assert.Throws<EdgeConfigurationException>(() => broker.ToEmbeddedBrokerOptions());
        Assert.Contains("Edge:DeviceBroker:CertificateFile/KeyFile", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Edge_SecureDemoSettings_Validate_AndLoadTheCertificate()
    {
        using var profile = DemoSecureProfile.Create(_dir.Path);
        var options = EdgeRig.DefaultOptions(_dir.Path);
        profile.ConfigureEdge(options, tlsPort: 0, hubMqttPort: 8883, ["dev-00001"]);
        options.Validate();
        var broker = options.DeviceBroker.ToEmbeddedBrokerOptions();
        Assert.Equal(-1, broker.Port);
        Assert.NotNull(broker.TlsCertificate);
        Assert.True(broker.TlsCertificate!.HasPrivateKey);
        Assert.False(broker.AllowAnonymous);
        Assert.True(options.DeviceBroker.UsesTls && options.HubBroker.UsesTls);
        if (!OperatingSystem.IsWindows())
        {
            // Key files are readable by their owner only.
            var mode = File.GetUnixFileMode(Path.Combine(profile.Pki.Directory, options.EdgeId + ".key"));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
        }
    }

    [Fact]
    public void Hub_TlsWithoutCertificate_OrHttpsKeyWithoutCertificate_NamesTheSettings()
    {
        var hub = new HubOptions { DataRoot = _dir.Path, Broker = { Port = -1, TlsPort = 0 } };
        var error = Assert.Throws<ArgumentException>(() => hub.Resolve());
        Assert.Contains("'Broker:TlsPort' is set but 'Broker:CertificateFile'/'Broker:KeyFile' are not", error.Message, StringComparison.Ordinal);

        hub = new HubOptions { DataRoot = _dir.Path, Https = { KeyFile = "x.key" } };
        error = Assert.Throws<ArgumentException>(() => hub.Resolve());
        Assert.Contains("'Https:CertificateFile' and 'Https:KeyFile' go together", error.Message, StringComparison.Ordinal);

        hub = new HubOptions { DataRoot = _dir.Path, Broker = { AllowAnonymous = false } };
        error = Assert.Throws<ArgumentException>(() => hub.Resolve());
        Assert.Contains("'Broker:AllowAnonymous' is false but 'Broker:PasswordFile' is not set", error.Message, StringComparison.Ordinal);

        hub = new HubOptions { DataRoot = _dir.Path, Broker = { Mode = "external", Port = -1 } };
        Assert.Throws<ArgumentException>(() => hub.Resolve());
    }

    [Fact]
    public void DemoCredentials_AreDistinctPerUser_AndTheAclConfinesDevices()
    {
        var credentials = DemoCredentials.CreateRandom();
        Assert.NotEqual(credentials.PasswordOf("dev-00001"), credentials.PasswordOf("dev-00002"));
        Assert.Equal(credentials.PasswordOf("dev-00001"), credentials.PasswordOf("dev-00001"));
        Assert.NotEqual(credentials.PasswordOf("dev-00001"), DemoCredentials.CreateRandom().PasswordOf("dev-00001"));

        var acl = EdgeHub.Mqtt.Security.MqttAcl.Parse(DemoCredentials.DeviceBrokerAcl("edge-eu-1", "eu"));
        Assert.True(acl.IsAllowed("c1", "dev-00001", "ehub/v1/devices/dev-00001/telemetry", EdgeHub.Mqtt.Security.AclAccess.Write));
        Assert.False(acl.IsAllowed("c1", "dev-00001", "ehub/v1/devices/dev-00002/telemetry", EdgeHub.Mqtt.Security.AclAccess.Write));
        Assert.False(acl.IsAllowed("c1", "dev-00001", "ehub/v1/devices/dev-00001/telemetry", EdgeHub.Mqtt.Security.AclAccess.Read));
        Assert.False(acl.IsSubscribeAllowed("c1", "dev-00001", "ehub/v1/devices/+/feedback"));
        Assert.False(acl.IsAllowed("c1", null, "ehub/v1/devices/dev-00001/telemetry", EdgeHub.Mqtt.Security.AclAccess.Write));
        // A user name with wildcards must not widen %u into someone else's topics.
        Assert.False(acl.IsSubscribeAllowed("c1", "+", "ehub/v1/devices/+/feedback"));
    }
}
