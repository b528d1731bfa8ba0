using EdgeHub.Hub.Options;
using EdgeHub.Common;

namespace EdgeHub.Hub.Learning;

/// <summary>
/// ONNX files of registered models under DATAROOT/models/{region}/{version}-{sha256 prefix}.onnx (shared by every node).
/// The hash in the name keeps two nodes racing for the same version number from overwriting each other's bytes.
/// </summary>
public sealed class ModelFiles(HubOptions options)
{
    /// <summary>Path of a model's ONNX file.</summary>
    public string PathOf(string region, string version, string sha256)
    {
        Contracts.Ids.Validate(region, "region");
        Contracts.Ids.Validate(version, "model version");
        ArgumentException.ThrowIfNullOrEmpty(sha256);
        return Path.Combine(options.ModelsRoot, region, $"{version}-{sha256[..Math.Min(16, sha256.Length)]}.onnx");
    }

    /// <summary>Writes the bytes atomically and durably (<see cref="AtomicFile"/>) so a reader never sees half a model.</summary>
    public void Write(string region, string version, string sha256, ReadOnlySpan<byte> onnx) =>
        AtomicFile.Write(PathOf(region, version, sha256), onnx);

    /// <summary>The bytes, or null when the file is missing.</summary>
    public async Task<byte[]?> ReadAsync(string region, string version, string sha256, CancellationToken ct)
    {
        var path = PathOf(region, version, sha256);
        return File.Exists(path) ? await File.ReadAllBytesAsync(path, ct).ConfigureAwait(false) : null;
    }
}
