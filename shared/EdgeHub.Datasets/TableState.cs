using EdgeHub.Datasets.Log;
using EdgeHub.Parquet;

namespace EdgeHub.Datasets;

/// <summary>
/// A table's state reconstructed by replaying actions in version order (Delta PROTOCOL.md "Action Reconciliation"):
/// the latest protocol and metaData win, a file is live after its add until a later remove, txn keeps the latest
/// version per appId.
/// </summary>
internal sealed class TableState
{
    public long Version = -1;
    public long Timestamp;
    public ParquetSchema? Schema;
    public string? SchemaString;
    public string? MetaDataId;
    public long CreatedTime;
    public int MinReader = 1;
    public int MinWriter = 2;
    public readonly Dictionary<string, DeltaFile> Files = new(StringComparer.Ordinal);
    public readonly Dictionary<string, long> Txns = new(StringComparer.Ordinal);
    public readonly Dictionary<string, long> TxnUpdated = new(StringComparer.Ordinal);
    public readonly Dictionary<string, long> Tombstones = new(StringComparer.Ordinal);
    /// <summary>The add action of every live file (stats, sizes) for writing checkpoints.</summary>
    public readonly Dictionary<string, AddAction> AddActions = new(StringComparer.Ordinal);
    /// <summary>Version of the checkpoint this state was loaded from, or -1 (files from it have AddedInVersion -1).</summary>
    public long CheckpointVersion = -1;
    /// <summary>(edge, sequence) → version for commits replayed from JSON (older ones are found by scanning the log).</summary>
    public readonly Dictionary<(string Edge, long Sequence), long> SequenceVersions = [];

    public void Apply(long version, CommitActions c, string file)
    {
        if (version != Version + 1) throw new DatasetException($"{file}: expected version {Version + 1}, got {version}; the log has a gap");
        if (c.MinReader is { } r)
        {
            if (r > 1) throw new DatasetException($"{file}: table needs reader version {r}; this store reads version 1 tables only");
            MinReader = r;
            MinWriter = c.MinWriter ?? 2;
        }
        if (c.SchemaString is not null)
        {
            Schema = SparkSchema.FromJson(c.SchemaString);
            SchemaString = c.SchemaString;
            MetaDataId = c.MetaDataId;
            CreatedTime = c.CreatedTime ?? c.Timestamp;
        }
        foreach (var (path, deletion) in c.Removes)
        {
            Files.Remove(path);
            AddActions.Remove(path);
            Tombstones[path] = deletion;
        }
        foreach (var a in c.Adds)
        {
            Files[a.Path] = new DeltaFile(a.Path, a.Size, a.Rows, version);
            AddActions[a.Path] = a;
            Tombstones.Remove(a.Path);
        }
        foreach (var t in c.Txns)
        {
            Txns[t.AppId] = t.Version;
            TxnUpdated[t.AppId] = t.LastUpdated ?? c.Timestamp;
        }
        if (c.Lineage is { } l) SequenceVersions[(l.EdgeId, l.Sequence)] = version;
        Version = version;
        Timestamp = c.Timestamp;
    }

    public DeltaSnapshot ToSnapshot()
    {
        var files = new List<DeltaFile>(Files.Values);
        files.Sort(static (a, b) => a.AddedInVersion != b.AddedInVersion ? a.AddedInVersion.CompareTo(b.AddedInVersion) : string.CompareOrdinal(a.Path, b.Path));
        return new DeltaSnapshot(Version, DateTimeOffset.FromUnixTimeMilliseconds(Timestamp), Schema!, files);
    }
}
