using EdgeHub.Hub.Options;

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

    /// <summary>Writes the bytes atomically (temp file + rename) so a reader never sees half a model.</summary>
    public async Task WriteAsync(string region, string version, string sha256, ReadOnlyMemory<byte> onnx, CancellationToken ct)
    {
        var path = PathOf(region, version, sha256);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        await File.WriteAllBytesAsync(temp, onnx.ToArray(), ct).ConfigureAwait(false);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The bytes, or null when the file is missing.</summary>
    public async Task<byte[]?> ReadAsync(string region, string version, string sha256, CancellationToken ct)
    {
        var path = PathOf(region, version, sha256);
        return File.Exists(path) ? await File.ReadAllBytesAsync(path, ct).ConfigureAwait(false) : null;
    }
}
