using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using EdgeHub.Edge;
using EdgeHub.Hub.Options;
using EdgeHub.Mqtt;

namespace EdgeHub.Cli.Demo;

/// <summary>
/// <c>./edgehub demo --secure</c>: a private CA in <c>DIR/pki</c>; TLS only (no plain-TCP listener) on the hub's MQTT
/// listener, on its HTTP listener and on every edge's device broker; every MQTT client logs in with its own credentials
/// (PBKDF2 password files) and is confined by an ACL. Writes <c>DIR/pki/endpoints.json</c> (ports, CA, credentials file)
/// once everything listens, for people and tests that want to poke at the running demo.
/// </summary>
public sealed class DemoSecureProfile : IDisposable
{
    private readonly List<string> _users = [];
    private readonly JsonObject _endpoints = [];

    private DemoSecureProfile(DemoPki pki, DemoCredentials credentials)
    {
        Pki = pki;
        Credentials = credentials;
    }

    /// <summary>The private CA.</summary>
    public DemoPki Pki { get; }

    /// <summary>Logins of every client.</summary>
    public DemoCredentials Credentials { get; }

    /// <summary>Creates the CA and the per-run credential secret under <c>DIR/pki</c>.</summary>
    public static DemoSecureProfile Create(string dataDir) =>
        new(DemoPki.Create(Path.Combine(dataDir, "pki")), DemoCredentials.CreateRandom());

    /// <summary>The hub: MQTT on TLS port <paramref name="mqttPort"/> only, edges as users with their ACL, HTTPS API.</summary>
    public void ConfigureHub(HubOptions hub, int mqttPort, string httpsUrl, IReadOnlyList<(string EdgeId, string Region)> edges)
    {
        var (cert, key) = Pki.IssueServer("hub");
        var users = new List<string> { DemoCredentials.HubUser };
        users.AddRange(edges.Select(e => e.EdgeId));
        _users.AddRange(users);
        hub.Broker = new Hub.Options.BrokerOptions
        {
            Mode = "embedded",
            Port = -1,
            TlsPort = mqttPort,
            CertificateFile = cert,
            KeyFile = key,
            PasswordFile = Credentials.WritePasswordFile(Path.Combine(Pki.Directory, "hub-broker.passwd"), users),
            AclFile = DemoCredentials.WriteAcl(Path.Combine(Pki.Directory, "hub-broker.acl"), DemoCredentials.HubBrokerAcl(edges)),
            AllowAnonymous = false,
            Username = DemoCredentials.HubUser,
            Password = Credentials.PasswordOf(DemoCredentials.HubUser),
            CaFile = Pki.CaFile,
        };
        hub.Https = new HttpsOptions { CertificateFile = cert, KeyFile = key };
        _endpoints["hub_mqtts"] = $"127.0.0.1:{mqttPort}";
        _endpoints["hub_https"] = httpsUrl;
    }

    /// <summary>An edge: its device broker on TLS port <paramref name="tlsPort"/> only, devices and the clinician app as users; its uplink logs in to the hub.</summary>
    public void ConfigureEdge(EdgeOptions edge, int tlsPort, int hubMqttPort, IReadOnlyList<string> deviceIds)
    {
        var (cert, key) = Pki.IssueServer(edge.EdgeId);
        var users = new List<string> { edge.EdgeId, DemoCredentials.ClinicianUser(edge.Region) };
        users.AddRange(deviceIds);
        _users.AddRange(users.Where(u => !_users.Contains(u)));
        var password = Credentials.PasswordOf(edge.EdgeId);
        edge.DeviceBroker = new Edge.BrokerOptions
        {
            Embedded = true,
            Port = -1,
            TlsPort = tlsPort,
            CertificateFile = cert,
            KeyFile = key,
            PasswordFile = Credentials.WritePasswordFile(Path.Combine(Pki.Directory, edge.EdgeId + "-broker.passwd"), users),
            AclFile = DemoCredentials.WriteAcl(Path.Combine(Pki.Directory, edge.EdgeId + "-broker.acl"), DemoCredentials.DeviceBrokerAcl(edge.EdgeId, edge.Region)),
            AllowAnonymous = false,
            Username = edge.EdgeId,
            Password = password,
            CaFile = Pki.CaFile,
        };
        edge.HubBroker = new Edge.BrokerOptions
        {
            Host = "127.0.0.1",
            Port = hubMqttPort,
            Tls = true,
            CaFile = Pki.CaFile,
            Username = edge.EdgeId,
            Password = password,
        };
        _endpoints[edge.EdgeId + "_mqtts"] = $"127.0.0.1:{tlsPort}";
    }

    /// <summary>TLS settings of devices and the clinician app (trust the demo CA).</summary>
    public MqttTlsOptions ClientTls() => new() { CaFile = Pki.CaFile };

    /// <summary>An HTTP handler that trusts the demo CA (the demo's operator talks HTTPS to the hub).</summary>
    public HttpClientHandler CreateHttpHandler()
    {
        var ca = X509CertificateLoader.LoadCertificateFromFile(Pki.CaFile);
        return new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, errors) =>
            {
                if (errors == SslPolicyErrors.None)
                {
                    return true;
                }

                if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != 0)
                {
                    return false; // a name mismatch is never forgiven
                }

                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(certificate);
            },
        };
    }

    /// <summary>Writes <c>pki/credentials.txt</c> (user password, owner-only) and <c>pki/endpoints.json</c>; returns the latter's path.</summary>
    public string WriteEndpoints()
    {
        var credentials = Path.Combine(Pki.Directory, "credentials.txt");
        DemoPki.WritePrivate(credentials, Credentials.Describe(_users));
        _endpoints["ca_file"] = Pki.CaFile;
        _endpoints["credentials_file"] = credentials;
        var path = Path.Combine(Pki.Directory, "endpoints.json");
        File.WriteAllText(path, _endpoints.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        return path;
    }

    /// <inheritdoc />
    public void Dispose() => Pki.Dispose();
}
