using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeHub.Datasets.Log;
using EdgeHub.Common;

namespace EdgeHub.Datasets;

/// <summary>
/// Right to erasure for one region: every data file of main and of every branch holding the value is found; each live one is
/// rewritten without those rows (remove + add in one commit per table); every such file, live or only in old versions, is
/// deleted at once and listed in the table's erasure registry, so time travel to the versions that held it fails with
/// <see cref="DatasetErasedException"/>; the log keeps its history, but the stats of those files' add actions (min/max
/// values could hold the value) are cut to the row count and the commits marked; checkpoints that held them are removed
/// and a fresh one written. A report (without the value) is kept under <c>root/_erasures</c>.
/// </summary>
public sealed class DatasetErasure(DatasetStore store, DatasetBranches branches)
{
    /// <summary>Erases every row whose <paramref name="column"/> equals <paramref name="value"/> from <paramref name="region"/>.</summary>
    public ErasureReport Erase(string region, string column, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(value);
        var id = "erasure-" + store.Options.Clock.GetUtcNow().ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..8];
        var tables = new List<DeltaTable> { store.Open(region) };
        foreach (var b in branches.List(region)) tables.Add(branches.Table(region, b.Name));

        // 1. Find every data file holding the value, in every table folder (live, old or orphaned alike).
        var tainted = new Dictionary<string, (RowFile Rows, long Hits)>(StringComparer.Ordinal);
        foreach (var t in tables)
            foreach (var file in Directory.EnumerateFiles(t.TablePath, "*.parquet", SearchOption.TopDirectoryOnly))
            {
                var rf = RowFiles.Read(file);
                long hits = 0;
                foreach (var row in rf.Rows)
                    if (row.TryGetValue(column, out var v) && v is string s && s == value) hits++;
                if (hits > 0) tainted[Path.GetFullPath(file)] = (rf, hits);
            }

        // 2. Rewrite the live ones once each, beside the original, and commit remove + add in every table that has them live.
        var replacements = new Dictionary<string, (string? Path, long Rows)>(StringComparer.Ordinal);
        var live = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in tables)
            foreach (var f in t.Snapshot().Files)
                if (tainted.ContainsKey(DataPaths.Resolve(t.TablePath, f.Path))) live.Add(DataPaths.Resolve(t.TablePath, f.Path));
        foreach (var file in live)
        {
            var rf = tainted[file].Rows;
            var kept = rf.Rows.Where(r => !(r.TryGetValue(column, out var v) && v is string s && s == value)).ToList();
            if (kept.Count == 0) { replacements[file] = (null, 0); continue; }
            var bytes = RowFiles.Write(rf, kept);
            var name = Path.Combine(Path.GetDirectoryName(file)!, $"part-erased-{Guid.NewGuid():N}.parquet");
            DeltaLogFiles.WriteNew(name, bytes);
            replacements[file] = (name, kept.Count);
        }
        var commits = new Dictionary<DeltaTable, long>();
        var annotation = $"{{\"erasure\":{{\"id\":\"{id}\",\"files\":{tainted.Count}}}}}";
        foreach (var t in tables)
        {
            var version = t.PublishCommit(s =>
            {
                var c = new CommitActions { Operation = "DELETE", Annotation = annotation };
                var removes = new List<string>();
                foreach (var p in s.Files.Keys)
                {
                    var full = DataPaths.Resolve(t.TablePath, p);
                    if (!tainted.ContainsKey(full)) continue;
                    removes.Add(p);
                    if (!replacements.TryGetValue(full, out var rep))
                        throw new DatasetException($"table {t.Region} gained a file holding the erased value during the erasure ({p}); run the erasure again");
                    if (rep.Path is not null) c.Adds.Add(DatasetBranches.NewAdd(DataPaths.For(t.TablePath, rep.Path), new FileInfo(rep.Path).Length, rep.Rows));
                }
                c.Removes = DatasetBranches.Tombstones(removes, s);
                return c;
            });
            commits[t] = version;
        }

        // 3. Register, then delete: a reader racing us gets "erased", never a missing file.
        foreach (var t in tables) Register(t, id, tainted.Keys);
        foreach (var file in tainted.Keys) File.Delete(file);

        // 4. Scrub the log: stats of erased files, checkpoints that held them.
        var reports = new List<ErasedTable>();
        foreach (var t in tables) reports.Add(Scrub(t, tainted.Keys, id, commits[t]));

        var files = tainted.Select(kv => new ErasedFile(Path.GetRelativePath(store.Root, kv.Key), kv.Value.Rows.Rows.Count, kv.Value.Hits,
            live.Contains(kv.Key), replacements.TryGetValue(kv.Key, out var r) && r.Path is not null ? Path.GetRelativePath(store.Root, r.Path) : null))
            .OrderBy(f => f.Path, StringComparer.Ordinal).ToList();
        var report = new ErasureReport(id, region, column, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value))),
            store.Options.Clock.GetUtcNow(), files.Sum(f => f.RowsErased), files, reports);
        var dir = Path.Combine(store.Root, "_erasures");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, id + ".json");
        File.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(report, ReportJson));
        return report with { ReportPath = path };
    }

    private static readonly JsonSerializerOptions ReportJson = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    private static void Register(DeltaTable t, string id, IEnumerable<string> files)
    {
        var list = File.Exists(t.ErasedRegistryPath) ? JsonNode.Parse(File.ReadAllBytes(t.ErasedRegistryPath))!.AsArray() : [];
        var arr = new JsonArray();
        foreach (var f in files) arr.Add(f);
        list.Add(new JsonObject { ["erasureId"] = id, ["files"] = arr });
        AtomicFile.WriteText(t.ErasedRegistryPath, list.ToJsonString());
    }

    /// <summary>Cuts erased files' add stats to the row count, marks the commits that held them, replaces old checkpoints.</summary>
    private static ErasedTable Scrub(DeltaTable t, IEnumerable<string> erasedFiles, string id, long erasureVersion)
    {
        var erased = new HashSet<string>(erasedFiles, StringComparer.Ordinal);
        var liveSet = new HashSet<string>(StringComparer.Ordinal);
        var marked = new List<long>();
        var scrubbed = 0;
        for (long v = 0; v < erasureVersion; v++)
        {
            var file = DeltaLogFiles.CommitPath(t.LogPath, v);
            if (!File.Exists(file)) continue;
            var lines = File.ReadAllText(file).Split('\n');
            var touched = false;
            for (var i = 0; i < lines.Length; i++)
            {
                if (lines[i].Trim().Length == 0) continue;
                var node = JsonNode.Parse(lines[i])!.AsObject();
                if (node["add"] is JsonObject add)
                {
                    var full = DataPaths.Resolve(t.TablePath, Uri.UnescapeDataString(add["path"]!.GetValue<string>()));
                    liveSet.Add(full);
                    if (erased.Contains(full) && add["stats"] is JsonNode stats)
                    {
                        add["stats"] = "{\"numRecords\":" + CommitActions.RowsOf(stats.GetValue<string>()).ToString(CultureInfo.InvariantCulture) + "}";
                        add["edgehubErased"] = id;
                        lines[i] = node.ToJsonString();
                        touched = true;
                    }
                }
                else if (node["remove"] is JsonObject rm)
                    liveSet.Remove(DataPaths.Resolve(t.TablePath, Uri.UnescapeDataString(rm["path"]!.GetValue<string>())));
            }
            if (liveSet.Overlaps(erased)) marked.Add(v);
            if (!touched) continue;
            AtomicFile.WriteText(file, string.Join('\n', lines));
            scrubbed++;
        }
        var removedCheckpoints = 0;
        foreach (var cp in Directory.EnumerateFiles(t.LogPath, "*.checkpoint.parquet"))
        {
            if (!long.TryParse(Path.GetFileName(cp).AsSpan(0, 20), NumberStyles.None, CultureInfo.InvariantCulture, out var v) || !marked.Contains(v)) continue;
            File.Delete(cp);
            removedCheckpoints++;
        }
        if (removedCheckpoints > 0) t.Checkpoint();
        return new ErasedTable(t.Region, erasureVersion, marked, scrubbed, removedCheckpoints);
    }
}
