namespace EdgeHub.Learning.Registry;

/// <summary>
/// Where registered models live. The hub implements it on its catalog (SQLite or PostgreSQL, bytes in its data folder);
/// <see cref="FileModelRegistryStore"/> and <see cref="InMemoryModelRegistryStore"/> serve tests and single-node tools.
/// </summary>
public interface IModelRegistryStore
{
    /// <summary>Adds a model and its ONNX bytes; false when the version already exists (another hub node took it: pick the next).</summary>
    Task<bool> AddAsync(RegisteredModel model, ReadOnlyMemory<byte> onnx, CancellationToken cancellationToken);

    /// <summary>The model, or null.</summary>
    Task<RegisteredModel?> GetAsync(string version, CancellationToken cancellationToken);

    /// <summary>Models, newest first, optionally of one region.</summary>
    Task<IReadOnlyList<RegisteredModel>> ListAsync(string? region, CancellationToken cancellationToken);

    /// <summary>The ONNX bytes, or null for an unknown version.</summary>
    Task<byte[]?> GetOnnxAsync(string version, CancellationToken cancellationToken);

    /// <summary>Changes a model's status (<see cref="ModelStatus"/>); false when the version is unknown.</summary>
    Task<bool> SetStatusAsync(string version, string status, CancellationToken cancellationToken);
}
