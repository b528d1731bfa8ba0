using System.Diagnostics;
using EdgeHub.Contracts;

namespace EdgeHub.Learning.Tests;

/// <summary>
/// Our P-256 signatures checked by an independent implementation (the openssl CLI) in both directions. OpenSSL speaks DER
/// (SEQUENCE { INTEGER r, INTEGER s }); the model assignment carries IEEE P1363 (r ‖ s), so the test converts between them.
/// </summary>
public sealed class OpenSslInteropTests : IDisposable
{
    private const string OpenSsl = "/usr/bin/openssl";
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("edgehub-openssl-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public void HubSignature_VerifiesWithOpenSsl_AndOpenSslSignature_VerifiesWithEdgeVerifier()
    {
        Assert.True(File.Exists(OpenSsl), "the openssl CLI is needed for this interop test (apt-get install openssl)");
        var model = TestDataOnnx();
        var modelPath = Write("model.onnx", model);
        using var key = ModelSignature.GenerateKey();
        var publicPath = Write("pub.pem", ModelSignature.ExportPublicKeyPem(key));
        var privatePath = Write("key.pem", ModelSignature.ExportPrivateKeyPem(key));

        // Hub → OpenSSL.
        var p1363 = Convert.FromBase64String(ModelSignature.Sign(model, key));
        var sigPath = Write("sig.der", ToDer(p1363));
        var (code, output) = Run("dgst", "-sha256", "-verify", publicPath, "-signature", sigPath, modelPath);
        Assert.True(code == 0, "openssl rejected the hub's signature: " + output);
        Assert.Contains("Verified OK", output, StringComparison.Ordinal);

        // OpenSSL → edge verifier.
        var opensslSig = Path.Combine(_dir.FullName, "openssl.der");
        (code, output) = Run("dgst", "-sha256", "-sign", privatePath, "-out", opensslSig, modelPath);
        Assert.True(code == 0, "openssl could not sign: " + output);
        var fromOpenSsl = Convert.ToBase64String(FromDer(File.ReadAllBytes(opensslSig)));
        Assert.True(ModelSignature.Verify(model, fromOpenSsl, File.ReadAllText(publicPath)));
        model[3] ^= 1;
        Assert.False(ModelSignature.Verify(model, fromOpenSsl, File.ReadAllText(publicPath)));
    }

    private static byte[] TestDataOnnx() =>
        Export.ModelExporter.ToOnnx(TestData.Parent, new Export.ModelExportInfo
        {
            ModelVersion = "eu-1", Region = "eu", Mode = Training.TrainingMode.Full, DatasetVersion = 1,
        });

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_dir.FullName, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir.FullName, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static (int Code, string Output) Run(params string[] args)
    {
        var psi = new ProcessStartInfo(OpenSsl) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(30_000), "openssl did not finish within 30 s");
        return (p.ExitCode, stdout.Result + stderr);
    }

    private static byte[] ToDer(byte[] p1363)
    {
        var r = Integer(p1363.AsSpan(0, 32));
        var s = Integer(p1363.AsSpan(32, 32));
        return [0x30, (byte)(r.Length + s.Length), .. r, .. s];
    }

    private static byte[] Integer(ReadOnlySpan<byte> value)
    {
        var i = 0;
        while (i < value.Length - 1 && value[i] == 0)
        {
            i++;
        }

        var body = value[i..];
        var pad = (body[0] & 0x80) != 0;
        return [0x02, (byte)(body.Length + (pad ? 1 : 0)), .. (pad ? new byte[] { 0 } : []), .. body];
    }

    private static byte[] FromDer(byte[] der)
    {
        Assert.Equal(0x30, der[0]);
        var offset = 2;
        var result = new byte[64];
        for (var part = 0; part < 2; part++)
        {
            Assert.Equal(0x02, der[offset]);
            int length = der[offset + 1];
            var value = der.AsSpan(offset + 2, length);
            if (value.Length == 33)
            {
                value = value[1..];
            }

            value.CopyTo(result.AsSpan((part * 32) + (32 - value.Length)));
            offset += 2 + length;
        }

        return result;
    }
}
