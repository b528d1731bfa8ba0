using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace EdgeHub.Mqtt.Tests;

/// <summary>Runs mosquitto_pub / mosquitto_sub and captures their output; creates a throwaway CA and server certificate.</summary>
internal sealed class ToolRun : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _out = new();
    private readonly StringBuilder _err = new();

    private ToolRun(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => { if (e.Data != null) { lock (_out) { _out.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data != null) { lock (_err) { _err.AppendLine(e.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Output { get { lock (_out) { return _out.ToString(); } } }
    public string Error { get { lock (_err) { return _err.ToString(); } } }
    public string[] Lines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;
    public int Pid => _process.Id;

    public static ToolRun Start(string tool, params string[] args)
    {
        var path = "/usr/bin/" + tool;
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"{path} is missing (apt-get install mosquitto-clients); these interop tests need it");
        }
        var psi = new ProcessStartInfo(path, args) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        return new ToolRun(Process.Start(psi)!);
    }

    public async Task<int> WaitAsync(string what)
    {
        await _process.WaitForExitAsync().WithTimeout($"{what} to exit (stdout: {Output} stderr: {Error})");
        _process.WaitForExit(); // flush the async readers
        return _process.ExitCode;
    }

    public void Kill() => _process.Kill();

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}

/// <summary>A private CA and a server certificate for 127.0.0.1/localhost, written as PEM files.</summary>
internal sealed class TestCertificates
{
    public required string Directory { get; init; }
    public required string CaFile { get; init; }
    public required string CertFile { get; init; }
    public required string KeyFile { get; init; }

    public static TestCertificates Create()
    {
        var dir = TestSupport.TempDir();
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=EdgeHub Test CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        using var serverKey = RSA.Create(2048);
        var serverRequest = new CertificateRequest("CN=localhost", serverKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        serverRequest.CertificateExtensions.Add(san.Build());
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        using var server = serverRequest.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(29), RandomNumberGenerator.GetBytes(8));
        var certs = new TestCertificates
        {
            Directory = dir,
            CaFile = Path.Combine(dir, "ca.pem"),
            CertFile = Path.Combine(dir, "server.pem"),
            KeyFile = Path.Combine(dir, "server.key"),
        };
        File.WriteAllText(certs.CaFile, ca.ExportCertificatePem());
        File.WriteAllText(certs.CertFile, server.ExportCertificatePem());
        File.WriteAllText(certs.KeyFile, serverKey.ExportPkcs8PrivateKeyPem());
        return certs;
    }
}
