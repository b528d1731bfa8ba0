using EdgeHub.Datasets;
using EdgeHub.Hub.Catalog;
using EdgeHub.Hub.Ingest;
using EdgeHub.Hub.Options;
using EdgeHub.Parquet;
using Microsoft.Extensions.Logging;

namespace EdgeHub.Hub.Hosting;

/// <summary>
/// Fills the catalog's commit log from the Delta logs, which are the source of truth: a node that died after committing a
/// delta but before recording it leaves a version the catalog does not know. Runs at start-up and can be called any time.
/// </summary>
public sealed class DatasetReconciler(HubOptions options, HubCatalog catalog, DatasetStore store, ILogger<DatasetReconciler> logger)
{
    /// <summary>Reconciles every region; returns how many versions were added to the catalog.</summary>
    public async Task<int> ReconcileAllAsync(CancellationToken ct)
    {
        var added = 0;
        foreach (var r in await catalog.ListRegionsAsync(ct).ConfigureAwait(false))
        {
            added += await ReconcileAsync(r.Name, ct).ConfigureAwait(false);
        }

        return added;
    }

    /// <summary>
    /// Records the given versions of the region's table (idempotent). The ingest path calls it for commits the dataset store
    /// made on its own: held deltas committed once their gap filled, and duplicates whose first commit was never recorded.
    /// </summary>
    public async Task<int> RecordVersionsAsync(string region, long fromVersion, long toVersion, CancellationToken ct)
    {
        var table = store.Open(region);
        var added = 0;
        for (var v = fromVersion; v <= toVersion; v++)
        {
            if (DeltaLogCommit.TryRead(table.TablePath, region, v, options.NodeId) is not { } record)
            {
                continue;
            }

            var path = FirstDataFile(table.TablePath, v);
            record = record with { LabelledRows = path is null ? 0 : CountLabelled(table, path) };
            await catalog.RecordCommitAsync(record, ct).ConfigureAwait(false);
            added++;
        }

        return added;
    }

    /// <summary>Records every edge commit of the region's table the catalog lacks.</summary>
    public async Task<int> ReconcileAsync(string region, CancellationToken ct)
    {
        DeltaTable table;
        try
        {
            table = store.Open(region);
        }
        catch (DatasetException)
        {
            return 0;
        }

        var known = new HashSet<long>();
        foreach (var v in await catalog.ListVersionsAsync(region, 0, long.MaxValue, int.MaxValue, ct).ConfigureAwait(false))
        {
            known.Add(v.Version);
        }

        var added = 0;
        foreach (var c in table.History())
        {
            if (c.EdgeId is null || c.Sequence is null || known.Contains(c.Version))
            {
                continue;
            }

            var record = new DatasetVersionRecord(region, c.Version, c.Timestamp, c.EdgeId, c.DeltaId ?? "", c.Sequence.Value, c.Rows,
                CountLabelled(table, c.Path), FileSize(table, c.Path), c.Sha256 ?? "", options.NodeId + " (reconciled)");
            await catalog.RecordCommitAsync(record, ct).ConfigureAwait(false);
            added++;
        }

        if (added > 0)
        {
            logger.LogWarning("region {Region}: recorded {Count} dataset versions the catalog was missing", region, added);
        }

        return added;
    }

    private static string? FirstDataFile(string tablePath, long version)
    {
        var file = Path.Combine(tablePath, "_delta_log", version.ToString("D20", System.Globalization.CultureInfo.InvariantCulture) + ".json");
        foreach (var line in File.ReadLines(file))
        {
            using var doc = System.Text.Json.JsonDocument.Parse(line);
            if (doc.RootElement.TryGetProperty("add", out var add) && add.TryGetProperty("path", out var p))
            {
                return Uri.UnescapeDataString(p.GetString() ?? "");
            }
        }

        return null;
    }

    private static long FileSize(DeltaTable table, string? path)
    {
        if (path is null)
        {
            return 0;
        }

        var full = Path.Combine(table.TablePath, path);
        return File.Exists(full) ? new FileInfo(full).Length : 0;
    }

    private static long CountLabelled(DeltaTable table, string? path)
    {
        if (path is null)
        {
            return 0;
        }

        var full = Path.Combine(table.TablePath, path);
        if (!File.Exists(full))
        {
            return 0;
        }

        using var reader = ParquetReader.Open(full);
        return DeltaParquet.CountLabelled(reader);
    }
}
