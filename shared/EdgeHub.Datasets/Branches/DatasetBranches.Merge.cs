using EdgeHub.Common;
using EdgeHub.Datasets.Log;

namespace EdgeHub.Datasets;

public sealed partial class DatasetBranches
{
    /// <summary>Row-level changes between two sets of data files: key → row after (null when the row was removed).</summary>
    private sealed record Changes(Dictionary<string, Dictionary<string, object?>?> After, Dictionary<string, Dictionary<string, object?>> Before,
        List<string> AddedFiles, List<string> RemovedFiles);

    /// <summary>Rows and labels added, removed and changed from <paramref name="fromRef"/> to <paramref name="toRef"/> of one region.</summary>
    public DatasetDiff Diff(string region, string fromRef, string toRef)
    {
        var (a, av) = Resolve(region, fromRef);
        var (b, bv) = Resolve(region, toRef);
        var ch = Compute(a, FullPaths(a, a.Snapshot(av).Files), b, FullPaths(b, b.Snapshot(bv).Files));
        return Summarise(region, fromRef, av, toRef, bv, ch);
    }

    /// <summary>
    /// Merges <paramref name="branch"/> into the ref it was branched from. When the parent has not moved since the branch
    /// point (or the last merge) the branch's commits are replayed onto it one for one (fast-forward); otherwise one merge
    /// commit applies the branch's net file changes, after checking that no row the branch changed was also changed on the
    /// parent (else <see cref="MergeConflictException"/> with the keys, and nothing is written).
    /// </summary>
    public MergeResult Merge(string region, string branch)
    {
        CheckName(branch);
        var meta = ReadMeta(region, branch);
        var src = Table(region, branch);
        var target = Table(region, meta.Parent);
        var head = src.LatestVersion;
        var from = meta.MergedVersion;
        var targetBase = meta.ParentMergeVersion;
        var summary = Summarise(region, branch + "@" + from, from, branch, head,
            Compute(src, FullPaths(src, src.Snapshot(from).Files), src, FullPaths(src, src.Snapshot(head).Files)));
        if (head == from) return new MergeResult("up-to-date", target.LatestVersion, 0, summary);
        var commits = 0;
        if (target.LatestVersion == targetBase)
        {
            for (var v = from + 1; v <= head; v++)
            {
                var c = src.CommitAt(v) ?? throw new DatasetException($"commit {v} of branch {branch} is missing from its log");
                for (var i = 0; i < c.Adds.Count; i++) c.Adds[i] = c.Adds[i] with { Path = Localize(src, target, DataPaths.Resolve(src.TablePath, c.Adds[i].Path)) };
                for (var i = 0; i < c.Removes.Count; i++) c.Removes[i] = (DataPaths.For(target.TablePath, DataPaths.Resolve(src.TablePath, c.Removes[i].Path)), c.Removes[i].Deletion);
                c.Timestamp = Math.Max(c.Timestamp, (target.CommitAt(targetBase)?.Timestamp ?? 0) + 1);
                c.Annotation = $"{{\"fastForward\":{{\"branch\":\"{branch}\",\"branchVersion\":{v}}}}}";
                if (!target.TryPublishAt(targetBase + 1, c)) break; // the parent moved meanwhile: finish with a merge commit
                targetBase++;
                from = v;
                commits++;
            }
        }
        var kind = "fast-forward";
        if (from < head)
        {
            kind = "merge";
            var theirs = Compute(src, FullPaths(src, src.Snapshot(from).Files), src, FullPaths(src, src.Snapshot(head).Files));
            var baseFiles = FullPaths(target, target.StateAt(targetBase).Files.Keys);
            var mergedFrom = from;
            targetBase = target.PublishCommit(s =>
            {
                var ours = Compute(target, baseFiles, target, FullPaths(target, s.Files.Keys));
                var conflicts = new List<string>();
                foreach (var (key, row) in theirs.After)
                    if (ours.After.TryGetValue(key, out var mine) && !(row is null ? mine is null : mine is not null && RowFiles.SameValues(row, mine)))
                        conflicts.Add(key);
                if (conflicts.Count > 0)
                {
                    conflicts.Sort(StringComparer.Ordinal);
                    throw new MergeConflictException($"cannot merge {branch} into {meta.Parent} of {region}: {conflicts.Count} rows were changed on both sides " +
                        $"since {meta.Parent}@{meta.ParentMergeVersion} (keys {string.Join(", ", conflicts.Take(10))}{(conflicts.Count > 10 ? ", ..." : "")}); " +
                        "rewrite those rows on the branch to the wanted values, then merge again", conflicts);
                }
                var live = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var p in s.Files.Keys) live[DataPaths.Resolve(target.TablePath, p)] = p;
                var removes = new List<string>();
                foreach (var f in theirs.RemovedFiles)
                    if (live.TryGetValue(f, out var p)) removes.Add(p);
                var adds = new List<AddAction>();
                foreach (var f in theirs.AddedFiles)
                {
                    var add = src.Snapshot(head).Files.First(x => DataPaths.Resolve(src.TablePath, x.Path) == f);
                    adds.Add(DatasetBranches.NewAdd(Localize(src, target, f), add.Size, add.Rows));
                }
                return new CommitActions
                {
                    Operation = "MERGE",
                    Adds = adds,
                    Removes = Tombstones(removes, s),
                    Annotation = $"{{\"merge\":{{\"branch\":\"{branch}\",\"branchVersion\":{head},\"fromBranchVersion\":{mergedFrom}}}}}",
                };
            });
            commits++;
        }
        WriteMeta(region, meta with { MergedVersion = head, ParentMergeVersion = targetBase });
        return new MergeResult(kind, targetBase, commits, summary);
    }

    /// <summary>A branch's own file is hard-linked into the parent's folder (deleting the branch keeps it); others keep their path.</summary>
    private static string Localize(DeltaTable src, DeltaTable target, string full)
    {
        if (Path.GetDirectoryName(full) != Path.GetFullPath(src.TablePath).TrimEnd('/')) return DataPaths.For(target.TablePath, full);
        var name = Path.GetFileName(full);
        var dest = Path.Combine(target.TablePath, name);
        if (!File.Exists(dest) && !AtomicFile.TryLink(full, dest) && !File.Exists(dest))
            throw new DatasetException($"could not link {full} into {target.TablePath}");
        return name;
    }

    private static List<string> FullPaths(DeltaTable t, IEnumerable<DeltaFile> files) => FullPaths(t, files.Select(f => f.Path));

    private static List<string> FullPaths(DeltaTable t, IEnumerable<string> paths)
    {
        var list = new List<string>();
        foreach (var p in paths) list.Add(DataPaths.Resolve(t.TablePath, p));
        return list;
    }

    private Changes Compute(DeltaTable a, List<string> aFiles, DeltaTable b, List<string> bFiles)
    {
        var inA = new HashSet<string>(aFiles, StringComparer.Ordinal);
        var inB = new HashSet<string>(bFiles, StringComparer.Ordinal);
        var removed = aFiles.Where(f => !inB.Contains(f)).ToList();
        var added = bFiles.Where(f => !inA.Contains(f)).ToList();
        var before = RowsByKey(a, removed);
        var after = RowsByKey(b, added);
        var changes = new Dictionary<string, Dictionary<string, object?>?>(StringComparer.Ordinal);
        foreach (var (k, row) in after)
            if (!before.TryGetValue(k, out var old) || !RowFiles.SameValues(old, row)) changes[k] = row;
        foreach (var k in before.Keys)
            if (!after.ContainsKey(k)) changes[k] = null;
        return new Changes(changes, before, added, removed);
    }

    private Dictionary<string, Dictionary<string, object?>> RowsByKey(DeltaTable t, List<string> files)
    {
        var map = new Dictionary<string, Dictionary<string, object?>>(StringComparer.Ordinal);
        Dictionary<string, string>? erased = null;
        foreach (var f in files)
        {
            if (!File.Exists(f) && (erased ??= t.ErasedFiles()).ContainsKey(f)) continue; // its rows were erased everywhere
            foreach (var row in RowFiles.Read(f).Rows) map[RowFiles.Key(row, Options.KeyColumns, f)] = row;
        }
        return map;
    }

    private DatasetDiff Summarise(string region, string from, long fromVersion, string to, long toVersion, Changes ch)
    {
        var label = Options.LabelColumn;
        var max = Options.MaxKeysReported;
        List<string> added = [], removed = [], changed = [];
        long labelsAdded = 0, labelsRemoved = 0, labelsChanged = 0;
        foreach (var (key, row) in ch.After)
        {
            ch.Before.TryGetValue(key, out var old);
            var was = old is not null && old.TryGetValue(label, out var x) ? x : null;
            var now = row is not null && row.TryGetValue(label, out var y) ? y : null;
            if (was is null && now is not null) labelsAdded++;
            else if (was is not null && now is null) labelsRemoved++;
            else if (was is not null && RowFiles.Text(was) != RowFiles.Text(now)) labelsChanged++;
            (row is null ? removed : old is null ? added : changed).Add(key);
        }
        List<string> Top(List<string> l) { l.Sort(StringComparer.Ordinal); return l.Count > max ? l[..max] : l; }
        return new DatasetDiff(region, from, fromVersion, to, toVersion, ch.AddedFiles.Count, ch.RemovedFiles.Count, added.Count, removed.Count,
            changed.Count, labelsAdded, labelsRemoved, labelsChanged, Top(added), Top(removed), Top(changed));
    }
}
