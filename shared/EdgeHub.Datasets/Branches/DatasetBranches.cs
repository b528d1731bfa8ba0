using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using EdgeHub.Datasets.Log;
using EdgeHub.Common;

namespace EdgeHub.Datasets;

/// <summary>
/// Branches of regional tables, lakeFS-style but in plain Delta: a branch is its own Delta table under
/// <c>root/_branches/{region}/{name}</c> whose versions 0..base are the parent's commits (data paths rewritten to absolute
/// URIs of the parent's files, so nothing is copied and any Delta reader can replay it at any version) and whose later
/// versions are the branch's own commits, with their files in the branch folder. Refs are "main", a branch name, or either
/// with "@version".
/// </summary>
public sealed partial class DatasetBranches
{
    /// <summary>The name of every region's main table.</summary>
    public const string Main = "main";

    private const string MetaFile = "_branch.json";
    private readonly DatasetStore _store;
    private readonly ConcurrentDictionary<string, DeltaTable> _tables = new(StringComparer.Ordinal);

    /// <summary>Branches of the tables of <paramref name="store"/>.</summary>
    public DatasetBranches(DatasetStore store, BranchOptions? options = null)
    {
        _store = store;
        Options = options ?? new BranchOptions();
    }

    /// <summary>Row keys and label column used by diffs and merges.</summary>
    public BranchOptions Options { get; }

    internal static string BranchesFolder(string root, string region) => Path.Combine(root, "_branches", region);

    private string BranchPath(string region, string name) => Path.Combine(BranchesFolder(_store.Root, region), name);

    /// <summary>The Delta table of a branch (or of main).</summary>
    public DeltaTable Table(string region, string branch)
    {
        if (branch == Main) return _store.Open(region);
        CheckName(branch);
        var path = BranchPath(region, branch);
        if (!File.Exists(Path.Combine(path, MetaFile)))
            throw new DatasetException($"region {region} has no branch '{branch}'; list them with `ctl datasets branches {region}`");
        return _tables.GetOrAdd(region + "/" + branch, _ => new DeltaTable(path, region + "/" + branch, _store.Options));
    }

    /// <summary>Resolves "name" or "name@version" to its table and version.</summary>
    public (DeltaTable Table, long Version) Resolve(string region, string reference)
    {
        ArgumentException.ThrowIfNullOrEmpty(reference);
        var at = reference.LastIndexOf('@');
        var name = at < 0 ? reference : reference[..at];
        var table = Table(region, name);
        if (at < 0) return (table, table.LatestVersion);
        if (!long.TryParse(reference.AsSpan(at + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var v) || v > table.LatestVersion)
            throw new DatasetException($"ref '{reference}': {name} of region {region} has versions 0..{table.LatestVersion}");
        return (table, v);
    }

    /// <summary>
    /// Branches <paramref name="fromRef"/> of <paramref name="region"/> as <paramref name="name"/> without copying data files.
    /// Throws when the name is taken or a file of the branch point is gone (vacuumed).
    /// </summary>
    public BranchInfo Create(string region, string fromRef, string name)
    {
        CheckName(name);
        var (parent, baseVersion) = Resolve(region, fromRef);
        var parentName = fromRef.Split('@')[0];
        var path = BranchPath(region, name);
        var log = Path.Combine(path, "_delta_log");
        Directory.CreateDirectory(log);
        var created = _store.Options.Clock.GetUtcNow();
        var meta = new BranchMeta(name, parentName, baseVersion, created.ToUnixTimeMilliseconds(), baseVersion, baseVersion);
        if (!DeltaLogFiles.TryPublish(Path.Combine(path, MetaFile), JsonSerializer.SerializeToUtf8Bytes(meta)))
            throw new DatasetException($"region {region} already has a branch '{name}'; pick another name or delete it first");
        try
        {
            for (long v = 0; v <= baseVersion; v++)
            {
                var c = parent.CommitAt(v) ?? throw new DatasetException(
                    $"cannot branch {region} at {fromRef}: commit {v} of {parentName} is no longer in its log (cleaned behind a checkpoint)");
                foreach (var a in c.Adds)
                    if (!File.Exists(DataPaths.Resolve(parent.TablePath, a.Path)))
                        throw new DatasetException($"cannot branch {region} at {fromRef}: data file {a.Path} of version {v} was vacuumed; branch from a newer version");
                Rebase(c, parent.TablePath, path);
                DeltaLogFiles.TryPublish(DeltaLogFiles.CommitPath(log, v), c.ToJsonLines());
            }
        }
        catch
        {
            Directory.Delete(path, recursive: true);
            throw;
        }
        return Info(region, name);
    }

    /// <summary>The branches of <paramref name="region"/>, by name.</summary>
    public IReadOnlyList<BranchInfo> List(string region)
    {
        var dir = BranchesFolder(_store.Root, region);
        var list = new List<BranchInfo>();
        if (!Directory.Exists(dir)) return list;
        foreach (var b in Directory.EnumerateDirectories(dir))
            if (File.Exists(Path.Combine(b, MetaFile))) list.Add(Info(region, Path.GetFileName(b)));
        list.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        return list;
    }

    /// <summary>The branch's metadata and head.</summary>
    public BranchInfo Info(string region, string name)
    {
        var meta = ReadMeta(region, name);
        return new BranchInfo(region, name, meta.Parent, meta.BaseVersion, Table(region, name).LatestVersion,
            DateTimeOffset.FromUnixTimeMilliseconds(meta.Created), meta.MergedVersion, meta.ParentMergeVersion);
    }

    /// <summary>Deletes a branch: its log and its own files (files merged into the parent were linked there and stay).</summary>
    public void Delete(string region, string name)
    {
        CheckName(name);
        var path = BranchPath(region, name);
        if (!Directory.Exists(path)) throw new DatasetException($"region {region} has no branch '{name}'");
        foreach (var other in List(region))
            if (other.Parent == name) throw new DatasetException($"branch '{name}' of {region} has branch '{other.Name}'; delete that first");
        _tables.TryRemove(region + "/" + name, out _);
        Directory.Delete(path, recursive: true);
    }

    /// <summary>Commits a Parquet file of new rows (a curated sample, relabelled windows as label rows, ...) to a branch.</summary>
    public long Append(string region, string branch, ReadOnlyMemory<byte> parquet, string operation = "APPEND")
    {
        var table = Table(region, branch);
        var file = $"part-{(branch == Main ? "main" : branch)}-{Guid.NewGuid():N}.parquet";
        var full = Path.Combine(table.TablePath, file);
        DeltaLogFiles.WriteNew(full, parquet.Span);
        try
        {
            var rows = RowFiles.Read(full);
            CheckColumns(table, rows, file);
            return table.PublishCommit(_ => new CommitActions { Operation = operation, Adds = [NewAdd(file, parquet.Length, rows.Rows.Count)] });
        }
        catch
        {
            File.Delete(full);
            throw;
        }
    }

    /// <summary>
    /// Rewrites the rows of a branch in one commit: <paramref name="edit"/> sees every live row, may change its values in place,
    /// and returns false to drop it. Files with no change are kept as they are. Returns the new version, or null when nothing changed.
    /// </summary>
    public long? Rewrite(string region, string branch, Func<Dictionary<string, object?>, bool> edit, string operation = "UPDATE")
    {
        var table = Table(region, branch);
        var snap = table.Snapshot();
        var removes = new List<string>();
        var adds = new List<AddAction>();
        foreach (var f in snap.Files)
        {
            var rf = RowFiles.Read(DataPaths.Resolve(table.TablePath, f.Path));
            var kept = new List<Dictionary<string, object?>>(rf.Rows.Count);
            var changed = false;
            foreach (var row in rf.Rows)
            {
                var before = new Dictionary<string, object?>(row, StringComparer.Ordinal);
                if (!edit(row)) { changed = true; continue; }
                if (!changed && !RowFiles.SameValues(before, row)) changed = true;
                kept.Add(row);
            }
            if (!changed) continue;
            removes.Add(f.Path);
            if (kept.Count == 0) continue;
            var bytes = RowFiles.Write(rf, kept);
            var name = $"part-{(branch == Main ? "main" : branch)}-{Guid.NewGuid():N}.parquet";
            DeltaLogFiles.WriteNew(Path.Combine(table.TablePath, name), bytes);
            adds.Add(NewAdd(name, bytes.Length, kept.Count));
        }
        if (removes.Count == 0) return null;
        return table.PublishCommit(s =>
        {
            foreach (var r in removes)
                if (!s.Files.ContainsKey(r)) throw new DatasetException($"{region}/{branch} changed while rewriting ({r} was removed by another commit); retry");
            return new CommitActions { Operation = operation, Adds = adds, Removes = Tombstones(removes, s) };
        });
    }

    internal static AddAction NewAdd(string path, long size, long rows) =>
        new(path, size, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), "{\"numRecords\":" + rows.ToString(CultureInfo.InvariantCulture) + "}", rows);

    internal static List<(string, long)> Tombstones(IEnumerable<string> paths, TableState s)
    {
        var list = new List<(string, long)>();
        foreach (var p in paths) list.Add((p, Math.Max(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), s.Timestamp + 1)));
        return list;
    }

    /// <summary>Rewrites the data paths of a commit read from <paramref name="from"/> for the table at <paramref name="to"/>.</summary>
    private static void Rebase(CommitActions c, string from, string to)
    {
        for (var i = 0; i < c.Adds.Count; i++)
            c.Adds[i] = c.Adds[i] with { Path = DataPaths.For(to, DataPaths.Resolve(from, c.Adds[i].Path)) };
        for (var i = 0; i < c.Removes.Count; i++)
            c.Removes[i] = (DataPaths.For(to, DataPaths.Resolve(from, c.Removes[i].Path)), c.Removes[i].Deletion);
    }

    private static void CheckColumns(DeltaTable table, RowFile rows, string file)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in rows.Schema.GetDataFields()) names.Add(f.Name);
        foreach (var f in table.Schema.Fields)
            if (!f.Nullable && !names.Contains(f.Name))
                throw new DatasetException($"{file} lacks required column '{f.Name}' of table {table.Region}; send rows of the table's schema");
    }

    private static void CheckName(string name)
    {
        if (name == Main || !DeltaValidation.IsSafeId(name) || name.Contains('@', StringComparison.Ordinal))
            throw new ArgumentException($"branch name '{name}' is invalid: use letters, digits, '.', '_' or '-' (not 'main')", nameof(name));
    }

    private sealed record BranchMeta(string Name, string Parent, long BaseVersion, long Created, long MergedVersion, long ParentMergeVersion);

    private BranchMeta ReadMeta(string region, string name)
    {
        var file = Path.Combine(BranchPath(region, name), MetaFile);
        if (!File.Exists(file)) throw new DatasetException($"region {region} has no branch '{name}'");
        return JsonSerializer.Deserialize<BranchMeta>(File.ReadAllBytes(file))
            ?? throw new DatasetException($"{file} is empty; the branch's metadata is corrupt");
    }

    private void WriteMeta(string region, BranchMeta meta)
    {
        var file = Path.Combine(BranchPath(region, meta.Name), MetaFile);
        AtomicFile.Write(file, JsonSerializer.SerializeToUtf8Bytes(meta));
    }
}
