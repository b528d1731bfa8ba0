using System.Text.Json;

namespace EdgeHub.Learning.Registry;

/// <summary>
/// A registry in one folder: VERSION.onnx and VERSION.json per model. The JSON is created with FileMode.CreateNew, so two writers
/// never both get the same version. For tests and single-node tools; the hub uses its catalog.
/// </summary>
public sealed class FileModelRegistryStore : IModelRegistryStore, IDisposable
{
    private readonly string _directory;
    private readonly SemaphoreSlim _lock = new(1, 1);

    public FileModelRegistryStore(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        _directory = Path.GetFullPath(directory);
        Directory.CreateDirectory(_directory);
    }

    public async Task<bool> AddAsync(RegisteredModel model, ReadOnlyMemory<byte> onnx, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        CheckVersion(model.Version);
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var json = JsonPath(model.Version);
            if (File.Exists(json))
            {
                return false;
            }

            // Bytes first, then the record: a record never points at missing bytes.
            var onnxPath = OnnxPath(model.Version);
            await File.WriteAllBytesAsync(onnxPath + ".tmp", onnx.ToArray(), cancellationToken).ConfigureAwait(false);
            File.Move(onnxPath + ".tmp", onnxPath, overwrite: true);
            try
            {
                await using var stream = new FileStream(json, FileMode.CreateNew, FileAccess.Write, FileShare.None);
                await JsonSerializer.SerializeAsync(stream, model, LearningJson.Default.RegisteredModel, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException) when (File.Exists(json))
            {
                return false;
            }

            return true;
        }
        finally
        {
            _lock.Release();
        }
    }

    public async Task<RegisteredModel?> GetAsync(string version, CancellationToken cancellationToken)
    {
        CheckVersion(version);
        var path = JsonPath(version);
        if (!File.Exists(path))
        {
            return null;
        }

        await using var stream = File.OpenRead(path);
        return await JsonSerializer.DeserializeAsync(stream, LearningJson.Default.RegisteredModel, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<RegisteredModel>> ListAsync(string? region, CancellationToken cancellationToken)
    {
        var list = new List<RegisteredModel>();
        foreach (var path in Directory.EnumerateFiles(_directory, "*.json"))
        {
            await using var stream = File.OpenRead(path);
            var m = await JsonSerializer.DeserializeAsync(stream, LearningJson.Default.RegisteredModel, cancellationToken).ConfigureAwait(false);
            if (m is not null && (region is null || m.Region == region))
            {
                list.Add(m);
            }
        }

        list.Sort(static (a, b) => b.CreatedAt != a.CreatedAt ? b.CreatedAt.CompareTo(a.CreatedAt) : ModelVersions.Compare(b.Version, a.Version));
        return list;
    }

    public async Task<byte[]?> GetOnnxAsync(string version, CancellationToken cancellationToken)
    {
        CheckVersion(version);
        var path = OnnxPath(version);
        return File.Exists(path) ? await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false) : null;
    }

    public async Task<bool> SetStatusAsync(string version, string status, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var model = await GetAsync(version, cancellationToken).ConfigureAwait(false);
            if (model is null)
            {
                return false;
            }

            var path = JsonPath(version);
            await File.WriteAllTextAsync(path + ".tmp", JsonSerializer.Serialize(model with { Status = status }, LearningJson.Default.RegisteredModel), cancellationToken).ConfigureAwait(false);
            File.Move(path + ".tmp", path, overwrite: true);
            return true;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Releases the writer lock.</summary>
    public void Dispose() => _lock.Dispose();

    private string JsonPath(string version) => Path.Combine(_directory, version + ".json");

    private string OnnxPath(string version) => Path.Combine(_directory, version + ".onnx");

    private static void CheckVersion(string version)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(version);
        foreach (var c in version)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                throw new ArgumentException($"model version '{version}' may only contain letters, digits, '-', '_' and '.'", nameof(version));
            }
        }
    }
}
