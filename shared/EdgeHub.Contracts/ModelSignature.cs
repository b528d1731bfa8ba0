using System.Security.Cryptography;
using EdgeHub.Common;

namespace EdgeHub.Contracts;

/// <summary>
/// ECDSA P-256 signatures over ONNX model bytes. The hub signs every registered model with its private key; an edge verifies
/// an assignment's bytes with the hub's public key from its settings before it loads them. Signatures are SHA-256 digests
/// signed in IEEE P1363 form (r ‖ s, 64 bytes), carried as base64 in <see cref="ModelAssignment.Signature"/>.
/// Keys travel as PEM: "PUBLIC KEY" (SubjectPublicKeyInfo) for edges, "PRIVATE KEY" (PKCS#8) or "EC PRIVATE KEY" for the hub.
/// </summary>
public static class ModelSignature
{
    /// <summary>Length of a P-256 IEEE P1363 signature in bytes (two 32-byte integers).</summary>
    public const int SignatureBytes = 64;

    /// <summary>Signs <paramref name="onnx"/> with a P-256 private key; returns the base64 IEEE P1363 signature.</summary>
    /// <exception cref="ArgumentException">The key is not a P-256 key.</exception>
    public static string Sign(ReadOnlySpan<byte> onnx, ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (onnx.IsEmpty)
        {
            throw new ArgumentException("refusing to sign an empty model (0 bytes)", nameof(onnx));
        }

        RequireP256(key, nameof(key));
        var signature = key.SignData(onnx, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return Convert.ToBase64String(signature);
    }

    /// <summary>
    /// True when <paramref name="signatureBase64"/> is a valid signature of <paramref name="onnx"/> by the key whose public half is
    /// <paramref name="publicKeyPem"/>. A malformed or wrong signature returns false; a malformed key throws (it is a settings error).
    /// </summary>
    /// <exception cref="ArgumentException">The PEM holds no P-256 public key.</exception>
    public static bool Verify(ReadOnlySpan<byte> onnx, string signatureBase64, string publicKeyPem)
    {
        using var key = LoadPublicKeyPem(publicKeyPem);
        return Verify(onnx, signatureBase64, key);
    }

    /// <summary>Same as <see cref="Verify(ReadOnlySpan{byte}, string, string)"/> with an already loaded key (avoids PEM parsing per model).</summary>
    public static bool Verify(ReadOnlySpan<byte> onnx, string signatureBase64, ECDsa publicKey)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        RequireP256(publicKey, nameof(publicKey));
        if (string.IsNullOrEmpty(signatureBase64) || onnx.IsEmpty)
        {
            return false;
        }

        Span<byte> signature = stackalloc byte[SignatureBytes + 3];
        if (!Convert.TryFromBase64String(signatureBase64, signature, out var written) || written != SignatureBytes)
        {
            return false;
        }

        return publicKey.VerifyData(onnx, signature[..SignatureBytes], HashAlgorithmName.SHA256,
            DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    /// <summary>Lower-case hex SHA-256 of the model bytes (the <see cref="ModelAssignment.Sha256"/> value).</summary>
    public static string Sha256Hex(ReadOnlySpan<byte> onnx)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(onnx, hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>Creates a new P-256 key pair (the hub's signing key).</summary>
    public static ECDsa GenerateKey() => ECDsa.Create(ECCurve.NamedCurves.nistP256);

    /// <summary>PKCS#8 "PRIVATE KEY" PEM of a key (keep it secret: whoever has it can sign models).</summary>
    public static string ExportPrivateKeyPem(ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.ExportPkcs8PrivateKeyPem();
    }

    /// <summary>SubjectPublicKeyInfo "PUBLIC KEY" PEM of a key: what edges put in their settings.</summary>
    public static string ExportPublicKeyPem(ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.ExportSubjectPublicKeyInfoPem();
    }

    /// <summary>Loads a P-256 public key from PEM ("PUBLIC KEY"; a private-key PEM also works, its public half is used).</summary>
    /// <exception cref="ArgumentException">The text holds no usable P-256 key.</exception>
    public static ECDsa LoadPublicKeyPem(string publicKeyPem) => LoadPem(publicKeyPem, "public");

    /// <summary>Loads a P-256 private key from PEM ("PRIVATE KEY" or "EC PRIVATE KEY").</summary>
    /// <exception cref="ArgumentException">The text holds no P-256 private key.</exception>
    public static ECDsa LoadPrivateKeyPem(string privateKeyPem)
    {
        var key = LoadPem(privateKeyPem, "private");
        try
        {
            // Exporting the private scalar fails for a public-only key: the clearest way to tell them apart.
            key.ExportParameters(includePrivateParameters: true);
        }
        catch (CryptographicException)
        {
            key.Dispose();
            throw new ArgumentException(
                "the PEM holds only a public key; the hub needs the private signing key (\"-----BEGIN PRIVATE KEY-----\")",
                nameof(privateKeyPem));
        }

        return key;
    }

    /// <summary>
    /// Loads the hub's signing key from <paramref name="path"/>, creating a new key there (mode 0600 on Unix) when the file does
    /// not exist. The public half is written beside it as <c>PATH.pub</c> for edges' settings.
    /// </summary>
    public static ECDsa LoadOrCreatePrivateKey(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        if (File.Exists(full))
        {
            try
            {
                return LoadPrivateKeyPem(File.ReadAllText(full));
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"model signing key file {full}: {e.Message}; fix or delete the file (a new key is then created)", nameof(path), e);
            }
        }

        var key = GenerateKey();
        AtomicFile.WriteText(full, ExportPrivateKeyPem(key), AtomicFileOptions.OwnerOnly);
        AtomicFile.WriteText(full + ".pub", ExportPublicKeyPem(key));
        return key;
    }

    private static ECDsa LoadPem(string pem, string what)
    {
        if (string.IsNullOrWhiteSpace(pem))
        {
            throw new ArgumentException($"the {what} key PEM is empty; set the hub's model signing {what} key (PEM text)", nameof(pem));
        }

        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            key.Dispose();
            throw new ArgumentException($"the {what} key PEM could not be read as an EC key ({e.Message}); expected \"-----BEGIN {(what == "public" ? "PUBLIC KEY" : "PRIVATE KEY")}-----\" text of a P-256 key", nameof(pem), e);
        }

        try
        {
            RequireP256(key, nameof(pem));
        }
        catch
        {
            key.Dispose();
            throw;
        }

        return key;
    }

    private static void RequireP256(ECDsa key, string paramName)
    {
        if (key.KeySize != 256)
        {
            throw new ArgumentException($"model signatures use ECDSA P-256; this key has {key.KeySize} bits", paramName);
        }

        var curve = key.ExportParameters(includePrivateParameters: false).Curve;
        if (curve.IsNamed && curve.Oid.Value is { } oid && oid != "1.2.840.10045.3.1.7")
        {
            throw new ArgumentException($"model signatures use ECDSA P-256 (OID 1.2.840.10045.3.1.7); this key is on curve {curve.Oid.FriendlyName ?? oid}", paramName);
        }
    }
}
