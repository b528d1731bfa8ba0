using System.Diagnostics;
using System.Text.Json;

namespace EdgeHub.Parquet.Tests;

/// <summary>Runs the node scripts under node/ against the npm test peers (DuckDB, hyparquet) and parses their JSON line.</summary>
internal static class NodePeer
{
    public static string RepoRoot { get; } = FindRoot();

    public static string NodeModules
    {
        get
        {
            var dir = Environment.GetEnvironmentVariable("EDGEHUB_NODE_MODULES");
            if (string.IsNullOrEmpty(dir)) dir = Path.Combine(RepoRoot, ".cache", "node", "node_modules");
            if (!Directory.Exists(Path.Combine(dir, "@duckdb", "node-api")) || !Directory.Exists(Path.Combine(dir, "hyparquet")))
                Assert.Fail($"npm test peers missing: {dir} must hold @duckdb/node-api and hyparquet (./edgehub test installs them; or set EDGEHUB_NODE_MODULES)");
            return dir;
        }
    }

    public static string ScriptDir => Path.Combine(RepoRoot, "tests", "EdgeHub.Parquet.Tests", "node");

    /// <summary>Runs SQL statements in one DuckDB connection (single thread); returns each statement's rows.</summary>
    public static JsonElement[] DuckDb(params string[] statements)
    {
        var file = Path.Combine(Path.GetTempPath(), "edgehub-sql-" + Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(file, JsonSerializer.Serialize(statements));
        try
        {
            var doc = Run("duckdb-query.mjs", file);
            var results = doc.GetProperty("results");
            var list = new JsonElement[results.GetArrayLength()];
            for (var i = 0; i < list.Length; i++) list[i] = results[i].GetProperty("rows");
            return list;
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>Reads a file with hyparquet: { metadata, rows }.</summary>
    public static JsonElement Hyparquet(string parquetFile) => Run("hyparquet-read.mjs", parquetFile);

    public static JsonElement Run(string script, params string[] args)
    {
        var psi = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(ScriptDir, script));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["EDGEHUB_NODE_MODULES"] = NodeModules;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start node");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"node {script} did not finish within 3 minutes");
        }
        var output = stdout.Result;
        if (p.ExitCode != 0) Assert.Fail($"node {script} {string.Join(' ', args)} failed ({p.ExitCode}): {stderr.Result}");
        var lines = output.TrimEnd().Split('\n');
        return JsonDocument.Parse(lines[^1]).RootElement.Clone();
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "EdgeHub.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("EdgeHub.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>Compares our values with a peer's JSON values.</summary>
internal static class PeerValues
{
    public static void AssertEqual(ParquetType type, object? ours, JsonElement theirs, string where)
    {
        if (ours is null)
        {
            if (theirs.ValueKind != JsonValueKind.Null) Assert.Fail($"{where}: expected null, peer has {theirs}");
            return;
        }
        if (theirs.ValueKind == JsonValueKind.Null) Assert.Fail($"{where}: expected {ours}, peer has null");
        var ok = type switch
        {
            ParquetType.Float => Same((double)(float)ours, theirs),
            ParquetType.Double => Same((double)ours, theirs),
            ParquetType.Int32 => theirs.GetInt32() == (int)ours,
            ParquetType.Int64 or ParquetType.TimestampMicros => AsLong(theirs) == (long)ours,
            ParquetType.Boolean => theirs.GetBoolean() == (bool)ours,
            _ => theirs.GetString() == (string)ours,
        };
        if (!ok) Assert.Fail($"{where}: expected {ours}, peer has {theirs}");
    }

    public static long AsLong(JsonElement e) =>
        e.ValueKind == JsonValueKind.String ? long.Parse(e.GetString()!, System.Globalization.CultureInfo.InvariantCulture) : e.GetInt64();

    private static bool Same(double ours, JsonElement theirs)
    {
        if (double.IsNaN(ours)) return theirs.ValueKind == JsonValueKind.String && theirs.GetString() == "NaN";
        if (double.IsInfinity(ours)) return theirs.ValueKind == JsonValueKind.String && theirs.GetString() == (ours > 0 ? "Infinity" : "-Infinity");
        return theirs.ValueKind == JsonValueKind.Number && theirs.GetDouble() == ours;
    }
}
