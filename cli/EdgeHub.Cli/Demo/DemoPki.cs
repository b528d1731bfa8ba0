using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EdgeHub.Cli.Demo;

/// <summary>
/// The secure demo's private certificate authority: a self-signed ECDSA P-256 CA written to <c>DIR/pki/ca.crt</c> (the file
/// edges, devices and operators trust) and server certificates it issues for the listeners on this machine (names
/// <c>localhost</c>, <c>127.0.0.1</c> and <c>::1</c>, so clients that connect by address pass the host-name check).
/// </summary>
public sealed class DemoPki : IDisposable
{
    private readonly X509Certificate2 _ca;
    private readonly ECDsa _caKey;

    private DemoPki(string directory, X509Certificate2 ca, ECDsa caKey)
    {
        Directory = directory;
        _ca = ca;
        _caKey = caKey;
    }

    /// <summary>Folder holding every PEM file of this PKI.</summary>
    public string Directory { get; }

    /// <summary>PEM file of the CA certificate: what clients trust.</summary>
    public string CaFile => Path.Combine(Directory, "ca.crt");

    /// <summary>Creates a fresh CA in <paramref name="directory"/> (files replaced: each demo run has its own CA).</summary>
    public static DemoPki Create(string directory, TimeSpan? validity = null)
    {
        System.IO.Directory.CreateDirectory(directory);
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=EdgeHub demo CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 1, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        var ca = request.CreateSelfSigned(now.AddMinutes(-5), now.Add(validity ?? TimeSpan.FromDays(30)));
        var pki = new DemoPki(directory, ca, key);
        File.WriteAllText(pki.CaFile, ca.ExportCertificatePem());
        WritePrivate(Path.Combine(directory, "ca.key"), key.ExportPkcs8PrivateKeyPem());
        return pki;
    }

    /// <summary>
    /// Issues a server certificate named <paramref name="name"/> for this machine; writes <c>NAME.crt</c> (leaf then CA) and
    /// <c>NAME.key</c>, and returns their paths.
    /// </summary>
    public (string CertificateFile, string KeyFile) IssueServer(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        // id-kp-serverAuth (RFC 5280 4.2.1.12): the certificate may only serve TLS servers.
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_ca, true, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f; // positive serial number
        var now = DateTimeOffset.UtcNow;
        using var leaf = request.Create(_ca, now.AddMinutes(-5), _ca.NotAfter.AddMinutes(-1), serial);
        var certificateFile = Path.Combine(Directory, name + ".crt");
        var keyFile = Path.Combine(Directory, name + ".key");
        File.WriteAllText(certificateFile, leaf.ExportCertificatePem() + "\n" + _ca.ExportCertificatePem());
        WritePrivate(keyFile, key.ExportPkcs8PrivateKeyPem());
        return (certificateFile, keyFile);
    }

    /// <summary>Writes a secret readable by the owner only.</summary>
    internal static void WritePrivate(string path, string content)
    {
        File.WriteAllText(path, content);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _ca.Dispose();
        _caKey.Dispose();
    }
}
