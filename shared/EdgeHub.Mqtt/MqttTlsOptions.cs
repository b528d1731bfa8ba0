using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace EdgeHub.Mqtt;

/// <summary>Client TLS settings (SslStream). The server certificate is validated unless told otherwise.</summary>
public sealed class MqttTlsOptions
{
    /// <summary>Name the server certificate must carry; defaults to <see cref="MqttClientOptions.Host"/>.</summary>
    public string? TargetHost { get; set; }
    /// <summary>CA certificate file (PEM) trusted in addition to the system store, e.g. a private CA for the broker.</summary>
    public string? CaFile { get; set; }
    /// <summary>Trusted CA certificates in addition to the system store.</summary>
    public X509Certificate2Collection? TrustedCertificates { get; init; }
    /// <summary>Client certificate (with private key) for mutual TLS.</summary>
    public X509Certificate2? ClientCertificate { get; set; }
    /// <summary>Skip server certificate validation (tests only; never in production).</summary>
    public bool AllowUntrustedCertificates { get; set; }
    /// <summary>Allowed protocol versions.</summary>
    public SslProtocols EnabledProtocols { get; set; } = SslProtocols.Tls12 | SslProtocols.Tls13;

    /// <summary>These settings as SslStream options (also what the simulator hands MQTTnet's client, so both validate alike).</summary>
    public SslClientAuthenticationOptions ToSslOptions(string host)
    {
        var trusted = new X509Certificate2Collection();
        if (TrustedCertificates != null)
        {
            trusted.AddRange(TrustedCertificates);
        }
        if (CaFile != null)
        {
            if (!File.Exists(CaFile))
            {
                throw new FileNotFoundException($"TLS CA file '{CaFile}' does not exist", CaFile);
            }
            trusted.ImportFromPemFile(CaFile);
        }
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = TargetHost ?? host,
            EnabledSslProtocols = EnabledProtocols,
        };
        if (ClientCertificate != null)
        {
            options.ClientCertificates = [ClientCertificate];
        }
        options.RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
        {
            if (AllowUntrustedCertificates || errors == SslPolicyErrors.None)
            {
                return true;
            }
            if (certificate is null || trusted.Count == 0 || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != 0)
            {
                return false;
            }
            // Chain to one of our trusted CAs (custom trust store), keeping host-name checks from SslStream.
            using var custom = new X509Chain();
            custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            custom.ChainPolicy.CustomTrustStore.AddRange(trusted);
            custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return custom.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
        };
        return options;
    }
}
