using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Nodes;
using EdgeHub.Edge.Store;

namespace EdgeHub.Bench;

/// <summary>
/// <c>./edgehub bench store</c>: the edge store on SQLite (shipping) beside LiteDB 5 (<see cref="LiteEdgeStore"/>) on the same
/// records. (1) Write rate: windows/s committed in the store writer's batches of 1,024, rounds interleaved so both see the same
/// machine load; (2) the SIGKILL audit (<see cref="StoreKillAudit"/>) of each, 200 kills by default. Then issue 22's rule: LiteDB
/// replaces SQLite only if its commit forces the log to disk (a fact of its source, see README) AND it passes every kill at
/// ≥ 80 % of SQLite's write rate.
/// </summary>
public static class StoreBench
{
    private const int BatchSize = 1024; // StoreWriter.BatchSize

    /// <summary>
    /// LiteDB 5.0.21 commit: DiskService.WriteLogDisk writes the transaction's pages with Stream.Write and returns, no
    /// Flush(true) (LiteDB/Engine/Disk/DiskService.cs:167-208); only the checkpoint into the data file forces (line 305).
    /// </summary>
    private const bool LiteDbForcesCommit = false;

    /// <summary>Options: --windows N per store (204,800), --rounds N (4), --kills N per store (200), --seed N (random, printed), --max-delay-ms N (300).</summary>
    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(args);
        var windows = BenchSuite.IntArg(args, "--windows", 204_800);
        var rounds = BenchSuite.IntArg(args, "--rounds", 4);
        var kills = BenchSuite.IntArg(args, "--kills", 200);
        var seed = BenchSuite.IntArg(args, "--seed", Random.Shared.Next(1, int.MaxValue));
        var maxDelay = BenchSuite.IntArg(args, "--max-delay-ms", 300);
        var root = Path.Combine(Path.GetTempPath(), "ehub-storebench-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            Console.WriteLine($"edge store: {windows:N0} windows per store in batches of {BatchSize} ({rounds} interleaved rounds), then {kills} SIGKILLs per store (seed {seed})");
            var rates = MeasureRates(root, windows, rounds);
            var (fileName, prefix) = ChildCommand();
            var audits = new Dictionary<string, StoreKillResult>();
            foreach (var store in AuditStores.Names)
            {
                audits[store] = await StoreKillAudit.RunAsync(store, Path.Combine(root, "kill-" + store), kills, seed, fileName, prefix, maxDelay,
                    Console.WriteLine, ct).ConfigureAwait(false);
            }

            var ratio = rates["litedb"] / rates["sqlite"];
            Console.WriteLine($"{"store",-8} {"windows/s",12} {"kills",6} {"violations",11} {"windows",10} {"seals",7} {"s/kill",7}");
            var json = new JsonObject { ["bench"] = "store", ["batch"] = BatchSize, ["windows"] = windows, ["rounds"] = rounds, ["seed"] = seed };
            foreach (var store in AuditStores.Names)
            {
                var a = audits[store];
                Console.WriteLine($"{store,-8} {rates[store],12:N0} {a.Kills,6} {a.Violations.Count,11} {a.Windows,10:N0} {a.Seals,7:N0} {a.Seconds / Math.Max(1, a.Kills),7:0.00}");
                foreach (var v in a.Violations.Take(5))
                {
                    Console.WriteLine($"  {store}: {v}");
                }

                json[store] = new JsonObject
                {
                    ["windows_per_s"] = Math.Round(rates[store]), ["kills"] = a.Kills, ["violations"] = a.Violations.Count,
                    ["audited_windows"] = a.Windows, ["audited_seals"] = a.Seals, ["audit_seconds"] = Math.Round(a.Seconds, 1),
                };
            }

            var passes = audits["litedb"].Violations.Count == 0 && audits["litedb"].Kills == kills;
            var moves = LiteDbForcesCommit && passes && ratio >= 0.8;
            var verdict = moves
                ? "LiteDB replaces SQLite"
                : $"SQLite stays: LiteDB {(LiteDbForcesCommit ? "forces" : "does not force")} its commits to disk, {(passes ? "passed every kill" : "failed the kill audit")}, {ratio:P0} of SQLite's write rate";
            Console.WriteLine($"LiteDB/SQLite write rate: {ratio:0.00}x; {verdict}");
            Console.WriteLine("(SIGKILL cannot show power loss: LiteDB's unforced commit can lose acknowledged windows then; its pages carry no checksum to detect a torn one.)");
            json["litedb_over_sqlite"] = Math.Round(ratio, 3);
            json["litedb_forces_commit"] = LiteDbForcesCommit;
            json["verdict"] = verdict;
            BenchResult.Write("store", json, Console.Out);
            return audits["sqlite"].Violations.Count == 0 ? 0 : 1;
        }
        finally
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>Windows/s per store: the median over <paramref name="rounds"/> rounds, each store in turn, each round on a fresh file.</summary>
    private static Dictionary<string, double> MeasureRates(string root, int windows, int rounds)
    {
        var records = new WindowRecord[BatchSize];
        var ids = new long[BatchSize];
        var samples = AuditStores.Names.ToDictionary(s => s, _ => new List<double>());
        for (var round = 0; round < rounds; round++)
        {
            foreach (var name in round % 2 == 0 ? AuditStores.Names : Enumerable.Reverse(AuditStores.Names))
            {
                using var store = AuditStores.Open(name, Path.Combine(root, $"rate-{name}-{round}"));
                var clock = Stopwatch.StartNew();
                for (var key = 1L; key <= windows; key += BatchSize)
                {
                    for (var i = 0; i < BatchSize; i++)
                    {
                        records[i] = AuditStores.Record(key + i);
                    }

                    store.InsertWindows(records, ids);
                    foreach (var r in records)
                    {
                        WindowRecordPool.Return(r);
                    }
                }

                samples[name].Add(windows / clock.Elapsed.TotalSeconds);
            }
        }

        return samples.ToDictionary(kv => kv.Key, kv => kv.Value.Order().ElementAt(kv.Value.Count / 2));
    }

    /// <summary>How to start this very executable again as the kill audit's child (<c>dotnet edgehub.dll bench ...</c>).</summary>
    private static (string FileName, string[] Prefix) ChildCommand()
    {
        var entry = Assembly.GetEntryAssembly()?.Location;
        var host = Environment.ProcessPath ?? "dotnet";
        return string.IsNullOrEmpty(entry) || !entry.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
            ? (host, ["bench"])
            : (host, [entry, "bench"]);
    }
}
