using EdgeHub.Contracts;
using EdgeHub.Datasets;
using EdgeHub.Hub.Catalog;
using EdgeHub.Hub.Ingest;

namespace EdgeHub.Hub.Hosting;

/// <summary>Adds regions: a catalog row and the region's Delta table (created with the delta row schema).</summary>
public sealed class HubRegions(HubCatalog catalog, DatasetStore store)
{
    /// <summary>Creates the region (idempotent); true when the catalog did not know it.</summary>
    public async Task<bool> AddAsync(string region, CancellationToken ct)
    {
        Contracts.Ids.Validate(region, "region");
        // Table first: a region in the catalog always has a dataset to commit into.
        store.OpenOrCreate(region, DeltaFileFormat.Schema);
        return await catalog.EnsureRegionAsync(region, ct).ConfigureAwait(false);
    }

    /// <summary>The region's table, or null when the region has none.</summary>
    public DeltaTable? Table(string region)
    {
        if (!Contracts.Ids.IsValid(region) || !Directory.Exists(Path.Combine(store.Root, region, "_delta_log")))
        {
            return null;
        }

        try
        {
            return store.Open(region);
        }
        catch (DatasetException)
        {
            return null;
        }
    }
}
