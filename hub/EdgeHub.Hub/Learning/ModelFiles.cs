using EdgeHub.Hub.Options;

namespace EdgeHub.Hub.Learning;

/// <summary>ONNX files of registered models under DATAROOT/models/{region}/{version}.onnx (shared by every node).</summary>
public sealed class ModelFiles(HubOptions options)
{
    /// <summary>Path of a model's ONNX file.</summary>
    public string PathOf(string region, string version)
    {
        Contracts.Ids.Validate(region, "region");
        Contracts.Ids.Validate(version, "model version");
        return Path.Combine(options.ModelsRoot, region, version + ".onnx");
    }

    /// <summary>Writes the bytes atomically (temp file + rename) so a reader never sees half a model.</summary>
    public async Task WriteAsync(string region, string version, ReadOnlyMemory<byte> onnx, CancellationToken ct)
    {
        var path = PathOf(region, version);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        await File.WriteAllBytesAsync(temp, onnx.ToArray(), ct).ConfigureAwait(false);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The bytes, or null when the file is missing.</summary>
    public async Task<byte[]?> ReadAsync(string region, string version, CancellationToken ct)
    {
        var path = PathOf(region, version);
        return File.Exists(path) ? await File.ReadAllBytesAsync(path, ct).ConfigureAwait(false) : null;
    }
}
