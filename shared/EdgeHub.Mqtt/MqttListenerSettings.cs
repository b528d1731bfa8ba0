using System.Net;

namespace EdgeHub.Mqtt;

/// <summary>
/// The settings shape the edge (device broker, hub uplink) and the hub (its broker) share: an embedded broker's listeners
/// (plain port, TLS port with a PEM certificate and key, password and ACL files, anonymous switch) and the login and TLS
/// trust a process uses for its own connection. Bound from JSON settings by property name, so subclasses keep their
/// section's names (<c>Edge:DeviceBroker:TlsPort</c>, <c>Broker:TlsPort</c>); subclasses add how a broker is chosen
/// (embedded or external, host) and validate with messages that name their own section.
/// </summary>
public abstract class MqttListenerSettings
{
    /// <summary>Plain-TCP port (0 = any free port; -1 on an embedded broker = no plain listener, clients must use <see cref="TlsPort"/>).</summary>
    public int Port { get; set; } = 1883;

    /// <summary>MQTT username of this process's own login.</summary>
    public string? Username { get; set; }

    /// <summary>MQTT password of this process's own login.</summary>
    public string? Password { get; set; }

    /// <summary>Use TLS for this process's own connection to an external broker.</summary>
    public bool Tls { get; set; }

    /// <summary>CA certificate (PEM) trusted for the broker's certificate, in addition to the system store.</summary>
    public string? CaFile { get; set; }

    /// <summary>Embedded broker: TLS listener port (0 = any free port, -1 = none). Needs <see cref="CertificateFile"/> and <see cref="KeyFile"/>.</summary>
    public int TlsPort { get; set; } = -1;

    /// <summary>Embedded broker: PEM certificate of the TLS listener (its chain must lead to the CA clients trust).</summary>
    public string? CertificateFile { get; set; }

    /// <summary>Embedded broker: PEM private key of <see cref="CertificateFile"/>.</summary>
    public string? KeyFile { get; set; }

    /// <summary>Embedded broker: password file (mosquitto_passwd format, PBKDF2-SHA512 <c>$7$</c> lines) clients log in against.</summary>
    public string? PasswordFile { get; set; }

    /// <summary>Embedded broker: ACL file (mosquitto format; <c>pattern</c> lines with %u = user name, %c = client id).</summary>
    public string? AclFile { get; set; }

    /// <summary>Embedded broker: accept clients without a user name (set false together with <see cref="PasswordFile"/>).</summary>
    public bool AllowAnonymous { get; set; } = true;

    /// <summary>True when these settings describe a broker this process runs itself.</summary>
    protected abstract bool IsEmbedded { get; }

    /// <summary>True when this process's own connection must use TLS: asked for, or the embedded broker has no plain listener.</summary>
    public bool UsesTls => Tls || (IsEmbedded && Port < 0);

    /// <summary>
    /// Listener options of the embedded broker bound to <paramref name="bindAddress"/> (callers add their capacity limits).
    /// Loads the TLS certificate when <see cref="TlsPort"/> is set; an unreadable file or key throws
    /// <see cref="IOException"/> or <see cref="System.Security.Cryptography.CryptographicException"/>, which callers turn
    /// into a message naming their setting.
    /// </summary>
    public MqttBrokerOptions ToBrokerOptions(IPAddress bindAddress)
    {
        var options = new MqttBrokerOptions
        {
            Port = Port,
            TlsPort = TlsPort,
            BindAddress = bindAddress,
            PasswordFile = PasswordFile,
            AclFile = AclFile,
            AllowAnonymous = AllowAnonymous,
        };
        if (TlsPort >= 0)
        {
            options.TlsCertificate = MqttBrokerOptions.LoadPemCertificate(
                CertificateFile ?? throw new InvalidOperationException("TlsPort is set but CertificateFile is not"),
                KeyFile ?? throw new InvalidOperationException("TlsPort is set but KeyFile is not"));
        }

        return options;
    }

    /// <summary>Client TLS settings for this process's own connection to <paramref name="host"/>, or null for plain TCP.</summary>
    public virtual MqttTlsOptions? ClientTls(string host) =>
        UsesTls ? new MqttTlsOptions { CaFile = CaFile, TargetHost = host } : null;
}
