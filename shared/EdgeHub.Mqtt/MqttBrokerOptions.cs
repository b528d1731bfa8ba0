using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace EdgeHub.Mqtt;

/// <summary>When the broker's persistence journal is forced to the disk (fsync).</summary>
public enum MqttFsyncMode
{
    /// <summary>
    /// Never (the OS writes back on its own schedule, typically within 30 s): acknowledged messages survive a killed
    /// broker process but not a power loss or kernel crash.
    /// </summary>
    Never,
    /// <summary>Once a second: a power loss loses at most the last second of acknowledged messages.</summary>
    Interval,
    /// <summary>
    /// Before every group of acknowledgements (one fsync per read batch, shared by the connections that wait for it):
    /// nothing acknowledged is lost even on a power loss.
    /// </summary>
    Batch,
}

/// <summary>Configuration of the embedded broker: listeners, security, persistence and limits.</summary>
public sealed class MqttBrokerOptions
{
    /// <summary>TCP port; 0 picks an ephemeral port (see <see cref="MqttBroker.Port"/>); -1 disables the plain listener.</summary>
    public int Port { get; set; } = 1883;
    /// <summary>Address the listeners bind to.</summary>
    public IPAddress BindAddress { get; set; } = IPAddress.Loopback;
    /// <summary>TLS listener port; -1 = no TLS listener, 0 = ephemeral (see <see cref="MqttBroker.TlsPort"/>).</summary>
    public int TlsPort { get; set; } = -1;
    /// <summary>Server certificate (with private key) for the TLS listener.</summary>
    public X509Certificate2? TlsCertificate { get; set; }
    /// <summary>Require and validate a client certificate on the TLS listener.</summary>
    public bool RequireClientCertificate { get; set; }
    /// <summary>Password file (mosquitto_passwd format, <c>user:$7$iterations$salt$hash</c>, PBKDF2-SHA512); null = no passwords.</summary>
    public string? PasswordFile { get; set; }
    /// <summary>ACL file (mosquitto format: <c>user</c>, <c>topic [read|write|readwrite|deny] filter</c>, <c>pattern</c> with %c/%u).</summary>
    public string? AclFile { get; set; }
    /// <summary>
    /// Enhanced authentication methods (MQTT 5 §4.12) offered besides user name/password. With a <see cref="PasswordFile"/>,
    /// SCRAM-SHA-256 (<see cref="Security.ScramSha256Authenticator"/>) is offered automatically for its users with SCRAM entries.
    /// </summary>
    public IList<Security.IMqttAuthenticator> Authenticators { get; } = [];
    /// <summary>Accept clients without a user name. Defaults to true; set false to require credentials from the password file.</summary>
    public bool AllowAnonymous { get; set; } = true;
    /// <summary>Directory for retained messages and persistent sessions (append-only logs); null = in memory only.</summary>
    public string? PersistenceDirectory { get; set; }
    /// <summary>
    /// With persistence: when journal writes are forced to the disk (fsync). Every mode survives a killed broker
    /// process; the modes differ on a power loss or kernel crash. See <see cref="MqttFsyncMode"/>.
    /// </summary>
    public MqttFsyncMode PersistenceFsync { get; set; } = MqttFsyncMode.Batch;
    /// <summary>Maximum simultaneous connections; further connections are refused with Server busy.</summary>
    public int MaxConnections { get; set; } = 100_000;
    /// <summary>Outgoing QoS 1/2 messages in flight per client (also advertised as the broker's receive maximum).</summary>
    public ushort MaxInflightMessages { get; set; } = 1000;
    /// <summary>Messages queued per client beyond the in-flight window (or while offline); when full, new messages are dropped and counted.</summary>
    public int MaxQueuedMessages { get; set; } = 10_000;
    /// <summary>
    /// Payload bytes the broker holds per client, counted apart for QoS 0 messages waiting to be written and for QoS 1/2
    /// messages in flight or queued (mosquitto's max_queued_bytes): beyond it the client's new messages are dropped and
    /// counted, so a client that stops reading cannot make the broker hold unbounded memory (10,000 queued messages of up
    /// to <see cref="MaxPacketSize"/> each). A client with nothing held still gets one message, however large. 0: no limit.
    /// </summary>
    public long MaxQueuedBytes { get; set; } = 64L * 1024 * 1024;
    /// <summary>Largest packet accepted (fixed header included); larger packets close the connection with Packet too large.</summary>
    public int MaxPacketSize { get; set; } = 16 * 1024 * 1024;
    /// <summary>Topic aliases accepted per v5 client (0 disables).</summary>
    public ushort TopicAliasMaximum { get; set; } = 1024;
    /// <summary>Time a new connection has to send CONNECT.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>Upper bound for the session expiry interval requested by clients (seconds).</summary>
    public uint MaxSessionExpiryInterval { get; set; } = uint.MaxValue;
    /// <summary>Upper bound of persistent sessions kept (connected or not); a new session beyond it is refused with Quota exceeded.</summary>
    public int MaxSessions { get; set; } = 1_000_000;

    /// <summary>Loads a PEM certificate and its PEM private key into a certificate usable by the TLS listener.</summary>
    public static X509Certificate2 LoadPemCertificate(string certificateFile, string keyFile)
    {
        if (!File.Exists(certificateFile))
        {
            throw new FileNotFoundException($"TLS certificate '{certificateFile}' does not exist", certificateFile);
        }
        if (!File.Exists(keyFile))
        {
            throw new FileNotFoundException($"TLS key '{keyFile}' does not exist", keyFile);
        }
        using var pem = X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
        // SslStream on Linux wants the key in a PKCS#12-backed certificate; an ephemeral PEM key is not enough.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }
}
