using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EdgeHub.Hub.Options;

/// <summary>
/// TLS of the hub's HTTP listener. With a certificate the listener URLs must be <c>https://</c> (ASPNETCORE_URLS or the
/// host's urls); Kestrel serves every one of them with this certificate.
/// </summary>
public sealed class HttpsOptions
{
    /// <summary>PEM certificate of the HTTP listener (its chain must lead to a CA the edges and operators trust).</summary>
    public string? CertificateFile { get; set; }

    /// <summary>PEM private key of <see cref="CertificateFile"/>.</summary>
    public string? KeyFile { get; set; }

    /// <summary>True when a certificate is configured.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(CertificateFile);

    /// <summary>Loads the certificate with its key (PKCS#12-backed, as SslStream on Linux needs).</summary>
    public X509Certificate2 LoadCertificate()
    {
        Validate();
        try
        {
            return EdgeHub.Mqtt.MqttBrokerOptions.LoadPemCertificate(CertificateFile!, KeyFile!);
        }
        catch (CryptographicException ex)
        {
            throw new ArgumentException($"settings 'Https:CertificateFile'/'Https:KeyFile' do not hold a PEM certificate and its key: {ex.Message}", ex);
        }
    }

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(CertificateFile) != string.IsNullOrWhiteSpace(KeyFile))
        {
            throw new ArgumentException("settings 'Https:CertificateFile' and 'Https:KeyFile' go together: give both PEM files, or neither for plain HTTP");
        }

        BrokerOptions.CheckFile(CertificateFile, "Https:CertificateFile");
        BrokerOptions.CheckFile(KeyFile, "Https:KeyFile");
    }
}
