using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeHub.Contracts;
using EdgeHub.Parquet;

namespace EdgeHub.Bench;

/// <summary>Wall and CPU seconds of one write and one read, and the file size.</summary>
internal sealed record Timing(double WriteWall, double WriteCpu, double ReadWall, double ReadCpu, long Size);

/// <summary>Options of <c>./edgehub bench parquet</c>.</summary>
public sealed class ParquetBenchOptions
{
    /// <summary>Rows written and read per case.</summary>
    public int Rows { get; set; } = 10_000_000;

    /// <summary>Rows per row group (both writers).</summary>
    public int RowGroupSize { get; set; } = 1_000_000;

    /// <summary>
    /// Codecs to measure. The target is on uncompressed and Snappy writes; gzip and brotli are on request (<c>--codecs</c>):
    /// DuckDB's single-threaded brotli over 10M rows alone takes longer than the rest of the suite.
    /// </summary>
    public IReadOnlyList<ParquetCompression> Codecs { get; set; } = [ParquetCompression.None, ParquetCompression.Snappy];

    /// <summary>Parses a comma-separated codec list such as <c>none,snappy,gzip,brotli</c>.</summary>
    public static IReadOnlyList<ParquetCompression> ParseCodecs(string list)
    {
        ArgumentNullException.ThrowIfNull(list);
        var codecs = new List<ParquetCompression>();
        foreach (var name in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            codecs.Add(name.ToLowerInvariant() switch
            {
                "none" => ParquetCompression.None,
                "snappy" => ParquetCompression.Snappy,
                "gzip" => ParquetCompression.Gzip,
                "brotli" => ParquetCompression.Brotli,
                _ => throw new ArgumentException($"--codecs: unknown codec '{name}'; use none, snappy, gzip, brotli"),
            });
        }

        return codecs.Count > 0 ? codecs : throw new ArgumentException("--codecs needs at least one codec");
    }

    /// <summary>Scratch folder (deleted afterwards); a temp folder when null.</summary>
    public string? WorkDir { get; set; }
}

/// <summary>
/// Parquet write/read throughput of EdgeHub.Parquet beside DuckDB's single-threaded writer and reader (npm @duckdb/node-api)
/// on the same rows: the numeric columns of the delta schema (features, probabilities, timestamps, class ids).
/// </summary>
public static class ParquetBench
{
    /// <summary>Runs the benchmark, prints a table and the JSON line (saved as bench/results/parquet.json); returns the exit code.</summary>
    public static int Run(ParquetBenchOptions options, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        var work = options.WorkDir ?? Path.Combine(Path.GetTempPath(), "edgehub-bench-parquet-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        try
        {
            var schema = ParquetBenchData.Schema();
            var chunkRows = Math.Min(options.RowGroupSize, options.Rows);
            var batch = ParquetBenchData.Make(schema, chunkRows);
            var rawBytesPerRow = ParquetBenchData.RawBytesPerRow(schema);
            output.WriteLine($"parquet bench: {options.Rows:N0} rows x {schema.Fields.Count} numeric columns ({rawBytesPerRow} raw bytes/row), row groups of {options.RowGroupSize:N0}");

            var ours = new Dictionary<ParquetCompression, Timing>();
            foreach (var codec in options.Codecs)
            {
                var path = Path.Combine(work, $"ours-{Name(codec)}.parquet");
                var w = Time(() => Write(path, schema, batch, options, codec));
                var r = Time(() => Read(path));
                ours[codec] = new Timing(w.Wall, w.Cpu, r.Wall, r.Cpu, new FileInfo(path).Length);
                output.WriteLine($"  ours   {Name(codec),-8} write {w.Wall,7:F2} s wall {w.Cpu,7:F2} s cpu   read {r.Wall,7:F2} s wall {r.Cpu,7:F2} s cpu   {new FileInfo(path).Length / 1e6,9:F1} MB");
            }

            var duck = ParquetBenchDuckDb.Measure(work, schema, options, ours.ContainsKey(ParquetCompression.None)
                ? Path.Combine(work, "ours-none.parquet") : Path.Combine(work, $"ours-{Name(options.Codecs[0])}.parquet"));

            var footers = new Dictionary<ParquetCompression, (ParquetBenchFooter Ours, ParquetBenchFooter Duck)>();
            foreach (var codec in options.Codecs)
            {
                var f = (ParquetBenchFooter.Of(Path.Combine(work, $"ours-{Name(codec)}.parquet")), ParquetBenchFooter.Of(Path.Combine(work, $"duck-{Name(codec)}.parquet")));
                footers[codec] = f;
                output.WriteLine($"  footer {Name(codec),-8} ours: {f.Item1}   duckdb: {f.Item2}");
            }

            var cases = new JsonArray();
            var rawMb = (double)options.Rows * rawBytesPerRow / 1e6;
            output.WriteLine();
            output.WriteLine($"{"case",-15}{"ours rows/s",14}{"duckdb rows/s",15}{"ratio",7}{"wall ratio",11}{"ours MB/s",11}{"duckdb MB/s",13}{"ours MB",9}{"duckdb MB",11}");
            foreach (var codec in options.Codecs)
            {
                var o = ours[codec];
                var d = duck[codec];
                foreach (var (kind, oc, ow, dc, dw) in new[] { ("write", o.WriteCpu, o.WriteWall, d.WriteCpu, d.WriteWall), ("read", o.ReadCpu, o.ReadWall, d.ReadCpu, d.ReadWall) })
                {
                    var name = $"{kind}_{Name(codec)}";
                    var oursRows = options.Rows / oc;
                    var duckRows = options.Rows / dc;
                    var ratio = oursRows / duckRows;
                    var wallRatio = dw / ow;
                    output.WriteLine($"{name,-15}{oursRows,14:N0}{duckRows,15:N0}{ratio,7:F2}{wallRatio,11:F2}{rawMb / oc,11:F0}{rawMb / dc,13:F0}{o.Size / 1e6,9:F1}{d.Size / 1e6,11:F1}");
                    cases.Add(new JsonObject
                    {
                        ["case"] = name,
                        ["ours_rows_s"] = Math.Round(oursRows),
                        ["duckdb_rows_s"] = Math.Round(duckRows),
                        ["ratio"] = Math.Round(ratio, 3),
                        ["wall_ratio"] = Math.Round(wallRatio, 3),
                        ["ours_mb_s"] = Math.Round(rawMb / oc, 1),
                        ["duckdb_mb_s"] = Math.Round(rawMb / dc, 1),
                        ["ours_wall_s"] = Math.Round(ow, 3),
                        ["duckdb_wall_s"] = Math.Round(dw, 3),
                        ["ours_file_mb"] = Math.Round(o.Size / 1e6, 1),
                        ["duckdb_file_mb"] = Math.Round(d.Size / 1e6, 1),
                        ["ours_dictionary_columns"] = footers[codec].Ours.DictionaryColumns,
                        ["duckdb_dictionary_columns"] = footers[codec].Duck.DictionaryColumns,
                        ["ours_page_mb"] = Math.Round(footers[codec].Ours.PageBytes / 1e6, 1),
                        ["duckdb_page_mb"] = Math.Round(footers[codec].Duck.PageBytes / 1e6, 1),
                    });
                }
            }
            output.WriteLine("rows/s and MB/s use CPU time (user+system of each process; DuckDB runs with threads=1), so other load on the");
            output.WriteLine("machine does not skew the ratio; wall ratio is shown beside it. MB/s counts raw column bytes.");
            output.WriteLine("targets: write ratio >= 1.0 (none, snappy), read ratio >= 0.5");
            var result = new JsonObject
            {
                ["bench"] = "parquet",
                ["rows"] = options.Rows,
                ["columns"] = schema.Fields.Count,
                ["row_group_size"] = options.RowGroupSize,
                ["cases"] = cases,
            };
            BenchResult.Write("parquet", result, output);
            return 0;
        }
        finally
        {
            if (options.WorkDir is null) Directory.Delete(work, recursive: true);
        }
    }

    internal static string Name(ParquetCompression c) => c switch
    {
        ParquetCompression.None => "none",
        ParquetCompression.Snappy => "snappy",
        ParquetCompression.Gzip => "gzip",
        _ => "brotli",
    };

    /// <summary>Wall and CPU seconds of <paramref name="action"/> (CPU: this process's user+system time).</summary>
    private static (double Wall, double Cpu) Time(Action action)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        using var self = Process.GetCurrentProcess();
        var cpu0 = self.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        action();
        var wall = sw.Elapsed.TotalSeconds;
        self.Refresh();
        return (wall, (self.TotalProcessorTime - cpu0).TotalSeconds);
    }

    private static void Write(string path, ParquetSchema schema, ColumnBatch batch, ParquetBenchOptions options, ParquetCompression codec)
    {
        using (var fs = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        using (var writer = new ParquetWriter(fs, schema, new ParquetWriterOptions { Compression = codec, RowGroupSize = options.RowGroupSize }))
        {
            var left = options.Rows;
            var pass = 0;
            while (left > 0)
            {
                batch.RowCount = Math.Min(left, batch.Capacity);
                ParquetBenchData.Advance(batch, pass++);
                writer.Write(batch);
                left -= batch.RowCount;
            }
        }
    }

    private static void Read(string path)
    {
        using var reader = ParquetReader.Open(path);
        long rows = 0;
        for (var g = 0; g < reader.RowGroupCount; g++) rows += reader.ReadRowGroup(g).RowCount;
        if (rows != reader.RowCount) throw new InvalidOperationException($"read {rows} rows, file has {reader.RowCount}");
    }
}
