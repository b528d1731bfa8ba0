using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using EdgeHub.Parquet;

namespace EdgeHub.Bench;

/// <summary>DuckDB (npm @duckdb/node-api, one thread) writing and reading the same rows, timed inside the node process.</summary>
internal static class ParquetBenchDuckDb
{
    public static Dictionary<ParquetCompression, Timing> Measure(
        string work, ParquetSchema schema, ParquetBenchOptions options, string sourceFile)
    {
        var root = Environment.GetEnvironmentVariable("EDGEHUB_ROOT") ?? FindRoot();
        var modules = Environment.GetEnvironmentVariable("EDGEHUB_NODE_MODULES");
        if (string.IsNullOrEmpty(modules)) modules = Path.Combine(root, ".cache", "node", "node_modules");
        if (!Directory.Exists(Path.Combine(modules, "@duckdb", "node-api")))
            throw new InvalidOperationException($"DuckDB for node is missing at {modules}; run ./edgehub test once (it installs the npm test peers) or set EDGEHUB_NODE_MODULES");
        var script = Path.Combine(root, "tests", "EdgeHub.Parquet.Tests", "node", "duckdb-query.mjs");

        var statements = new List<string> { $"CREATE TABLE t AS SELECT * FROM read_parquet('{sourceFile}')" };
        foreach (var codec in options.Codecs)
        {
            var path = Path.Combine(work, $"duck-{ParquetBench.Name(codec)}.parquet");
            var duckCodec = codec == ParquetCompression.None ? "uncompressed" : ParquetBench.Name(codec);
            statements.Add($"COPY t TO '{path}' (FORMAT parquet, COMPRESSION {duckCodec}, ROW_GROUP_SIZE {options.RowGroupSize})");
            // Reading: every column decoded into a DuckDB table (as our reader fills a ColumnBatch); nothing goes to JavaScript.
            statements.Add($"CREATE OR REPLACE TEMP TABLE r AS SELECT * FROM read_parquet('{path}')");
            statements.Add("DROP TABLE r");
        }
        var sqlFile = Path.Combine(work, "bench.sql.json");
        File.WriteAllText(sqlFile, JsonSerializer.Serialize(statements));

        var psi = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add(sqlFile);
        psi.Environment["EDGEHUB_NODE_MODULES"] = modules;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start node");
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"DuckDB run failed ({p.ExitCode}): {stderr.Result}");
        using var doc = JsonDocument.Parse(stdout.TrimEnd().Split('\n')[^1]);
        var results = doc.RootElement.GetProperty("results");
        var map = new Dictionary<ParquetCompression, Timing>();
        for (var i = 0; i < options.Codecs.Count; i++)
        {
            var write = results[1 + 3 * i];
            var read = results[2 + 3 * i];
            var path = Path.Combine(work, $"duck-{ParquetBench.Name(options.Codecs[i])}.parquet");
            map[options.Codecs[i]] = new Timing(Seconds(write, "ms"), Seconds(write, "cpu_ms"), Seconds(read, "ms"), Seconds(read, "cpu_ms"), new FileInfo(path).Length);
        }
        return map;
    }

    private static double Seconds(JsonElement e, string name) => e.GetProperty(name).GetDouble() / 1000;

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "EdgeHub.sln"))) dir = dir.Parent;
        return dir?.FullName ?? Directory.GetCurrentDirectory();
    }
}
