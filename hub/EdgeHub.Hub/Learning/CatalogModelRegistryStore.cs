using EdgeHub.Hub.Catalog;
using EdgeHub.Learning.Registry;

namespace EdgeHub.Hub.Learning;

/// <summary>
/// The model registry on the hub catalog: records in the models table (SQLite or PostgreSQL, shared by every node), ONNX
/// bytes under DATAROOT/models/{region}/ (see ModelFiles). Bytes are written before the record, so a record never points at
/// missing bytes; the catalog's primary key makes two nodes never register the same version.
/// </summary>
public sealed class CatalogModelRegistryStore(HubCatalog catalog, ModelFiles files) : IModelRegistryStore
{
    /// <inheritdoc />
    public async Task<bool> AddAsync(RegisteredModel model, ReadOnlyMemory<byte> onnx, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (await catalog.GetModelAsync(model.Version, cancellationToken).ConfigureAwait(false) is not null)
        {
            return false;
        }

        files.Write(model.Region, model.Version, model.Sha256, onnx.Span);
        return await catalog.AddModelAsync(model, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<RegisteredModel?> GetAsync(string version, CancellationToken cancellationToken) => catalog.GetModelAsync(version, cancellationToken);

    /// <inheritdoc />
    public async Task<IReadOnlyList<RegisteredModel>> ListAsync(string? region, CancellationToken cancellationToken) =>
        await catalog.ListModelsAsync(region, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task<byte[]?> GetOnnxAsync(string version, CancellationToken cancellationToken)
    {
        var m = await catalog.GetModelAsync(version, cancellationToken).ConfigureAwait(false);
        return m is null ? null : await files.ReadAsync(m.Region, m.Version, m.Sha256, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<bool> SetStatusAsync(string version, string status, CancellationToken cancellationToken) =>
        catalog.SetModelStatusAsync(version, status, cancellationToken);
}
