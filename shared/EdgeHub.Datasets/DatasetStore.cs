using System.Collections.Concurrent;
using EdgeHub.Parquet;

namespace EdgeHub.Datasets;

/// <summary>
/// The hub's regional datasets: one Delta Lake table per region under <c>root/{region}</c>. Commits are exactly-once per
/// (edge, sequence) through the Delta <c>txn</c> action; see <see cref="CommitResult"/> for the ordering policy.
/// </summary>
public sealed class DatasetStore
{
    private readonly ConcurrentDictionary<string, DeltaTable> _tables = new(StringComparer.Ordinal);
    private readonly DatasetStoreOptions _options;

    /// <summary>Opens (or creates) a store rooted at <paramref name="root"/>.</summary>
    public DatasetStore(string root, DatasetStoreOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        Root = Path.GetFullPath(root);
        _options = options ?? new DatasetStoreOptions();
        Directory.CreateDirectory(Root);
    }

    /// <summary>The folder holding one table folder per region.</summary>
    public string Root { get; }

    /// <summary>Regions that have a table on disk.</summary>
    public IReadOnlyList<string> Regions()
    {
        var list = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories(Root))
            if (File.Exists(DeltaLogFiles.CommitPath(Path.Combine(dir, "_delta_log"), 0))) list.Add(Path.GetFileName(dir));
        list.Sort(StringComparer.Ordinal);
        return list;
    }

    /// <summary>
    /// Opens the region's table, creating it with <paramref name="schema"/> when absent. When the table exists with an
    /// older schema, appended nullable columns are committed as a schema change; any other difference throws
    /// <see cref="DatasetException"/> saying what differs.
    /// </summary>
    public DeltaTable OpenOrCreate(string region, ParquetSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var table = Table(region);
        table.CreateIfMissing(schema);
        table.EnsureSchema(schema);
        return table;
    }

    /// <summary>Opens an existing region table; throws <see cref="DatasetException"/> when there is none.</summary>
    public DeltaTable Open(string region)
    {
        var table = Table(region);
        table.Refresh();
        return table;
    }

    /// <summary>
    /// Validates and commits one delta from an edge: manifest consistency, sha256 of the bytes, Parquet structure (every page
    /// decoded), schema compatibility and row count. Answers Committed, Duplicate (already merged, not merged again),
    /// Held (waiting for an earlier sequence) or Rejected (with the reason). Never throws for bad input.
    /// </summary>
    public CommitResult CommitDelta(string region, string edgeId, long sequence, ReadOnlyMemory<byte> parquetBytes, DeltaManifest manifest)
    {
        if (!DeltaValidation.IsSafeId(region)) return new CommitResult.Rejected($"region '{region}' is invalid: use letters, digits, '.', '_' or '-'");
        var problem = DeltaValidation.CheckManifest(region, edgeId, sequence, parquetBytes.Length, manifest, _options);
        if (problem is not null) return new CommitResult.Rejected(problem);
        var table = Table(region);
        try { table.Refresh(); }
        catch (DatasetException e) { return new CommitResult.Rejected($"region '{region}' has no dataset yet ({e.Message}); the hub must create it first"); }
        var last = table.LastSequence(edgeId);
        var (stats, contentProblem) = DeltaValidation.CheckContent(parquetBytes, manifest, table.Schema);
        if (contentProblem is not null)
        {
            // A re-sent delta that was already committed is a duplicate even if this copy is damaged.
            if (last is { } l && sequence <= l && table.DuplicateOf(edgeId, sequence) is { } dup) return dup;
            return new CommitResult.Rejected($"delta {manifest.DeltaId} from {edgeId} #{sequence} rejected: {contentProblem}");
        }
        return table.CommitValidated(parquetBytes.ToArray(), manifest, stats!);
    }

    internal DatasetStoreOptions Options => _options;

    private DeltaTable Table(string region)
    {
        if (!DeltaValidation.IsSafeId(region)) throw new ArgumentException($"region '{region}' is invalid: use letters, digits, '.', '_' or '-'", nameof(region));
        return _tables.GetOrAdd(region, r => new DeltaTable(Path.Combine(Root, r), r, _options));
    }
}
