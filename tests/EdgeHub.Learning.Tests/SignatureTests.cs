using System.Security.Cryptography;
using EdgeHub.Contracts;

namespace EdgeHub.Learning.Tests;

public sealed class SignatureTests
{
    private static readonly byte[] Model = [8, 1, 18, 7, 69, 100, 103, 101, 72, 117, 98, 0, 1, 2, 3];

    [Fact]
    public void SignVerify_RoundTripsThroughPem()
    {
        using var key = ModelSignature.GenerateKey();
        var signature = ModelSignature.Sign(Model, key);
        Assert.Equal(ModelSignature.SignatureBytes, Convert.FromBase64String(signature).Length);
        var publicPem = ModelSignature.ExportPublicKeyPem(key);
        Assert.StartsWith("-----BEGIN PUBLIC KEY-----", publicPem, StringComparison.Ordinal);
        Assert.True(ModelSignature.Verify(Model, signature, publicPem));

        using var reloaded = ModelSignature.LoadPrivateKeyPem(ModelSignature.ExportPrivateKeyPem(key));
        Assert.True(ModelSignature.Verify(Model, ModelSignature.Sign(Model, reloaded), publicPem));
    }

    [Fact]
    public void Verify_TamperedBytesWrongKeyOrGarbage_IsFalse()
    {
        using var key = ModelSignature.GenerateKey();
        using var other = ModelSignature.GenerateKey();
        var signature = ModelSignature.Sign(Model, key);
        var pem = ModelSignature.ExportPublicKeyPem(key);
        var tampered = (byte[])Model.Clone();
        tampered[^1] ^= 1;
        Assert.False(ModelSignature.Verify(tampered, signature, pem));
        Assert.False(ModelSignature.Verify(Model, signature, ModelSignature.ExportPublicKeyPem(other)));
        Assert.False(ModelSignature.Verify(Model, "not base64 at all!", pem));
        Assert.False(ModelSignature.Verify(Model, Convert.ToBase64String(new byte[63]), pem));
        Assert.False(ModelSignature.Verify(Model, "", pem));
        var flipped = Convert.FromBase64String(signature);
        flipped[10] ^= 0x40;
        Assert.False(ModelSignature.Verify(Model, Convert.ToBase64String(flipped), pem));
    }

    [Fact]
    public void Verify_DerSignatureFromOpenSslStyleSigner_IsRejected_OnlyP1363Accepted()
    {
        using var key = ModelSignature.GenerateKey();
        var der = key.SignData(Model, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        Assert.False(ModelSignature.Verify(Model, Convert.ToBase64String(der), ModelSignature.ExportPublicKeyPem(key)));
    }

    [Fact]
    public void Keys_BadPemOrWrongCurve_ThrowClearly()
    {
        var e = Assert.Throws<ArgumentException>(() => ModelSignature.Verify(Model, "AAAA", "hello"));
        Assert.Contains("PUBLIC KEY", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => ModelSignature.Verify(Model, "AAAA", ""));
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var curve = Assert.Throws<ArgumentException>(() => ModelSignature.Sign(Model, p384));
        Assert.Contains("P-256", curve.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => ModelSignature.Verify(Model, "AAAA", p384.ExportSubjectPublicKeyInfoPem()));
        using var key = ModelSignature.GenerateKey();
        var notPrivate = Assert.Throws<ArgumentException>(() => ModelSignature.LoadPrivateKeyPem(ModelSignature.ExportPublicKeyPem(key)));
        Assert.Contains("only a public key", notPrivate.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => ModelSignature.Sign([], key));
    }

    [Fact]
    public void LoadOrCreatePrivateKey_CreatesOwnerOnlyFile_ThenReloadsTheSameKey()
    {
        var dir = Directory.CreateTempSubdirectory("edgehub-key-");
        try
        {
            var path = Path.Combine(dir.FullName, "keys", "hub-signing.pem");
            using var first = ModelSignature.LoadOrCreatePrivateKey(path);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            }

            var publicPem = File.ReadAllText(path + ".pub");
            using var second = ModelSignature.LoadOrCreatePrivateKey(path);
            Assert.True(ModelSignature.Verify(Model, ModelSignature.Sign(Model, second), publicPem));

            File.WriteAllText(path, "garbage");
            var e = Assert.Throws<ArgumentException>(() => ModelSignature.LoadOrCreatePrivateKey(path));
            Assert.Contains(path, e.Message, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Sha256Hex_IsLowerCaseHex()
    {
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", ModelSignature.Sha256Hex([]));
    }
}
