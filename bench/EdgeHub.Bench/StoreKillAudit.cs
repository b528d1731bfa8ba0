using System.Diagnostics;
using System.Globalization;
using EdgeHub.Edge.Store;

namespace EdgeHub.Bench;

/// <summary>Outcome of a kill audit of one store.</summary>
/// <param name="Violations">Each broken promise, described (empty when the store kept every acknowledgement).</param>
/// <param name="Windows">Window rows found committed over all checks (each store generation's last count).</param>
/// <param name="Stores">Store files used (a fresh one once a store holds 30,000 windows, to keep each check short).</param>
public sealed record StoreKillResult(string Store, int Seed, int Kills, long Windows, long Seals, int Stores, double Seconds, IReadOnlyList<string> Violations);

/// <summary>
/// SIGKILL audit of an edge store. A child process (<c>edgehub bench store-child</c>) opens the store, resends (acks) what a
/// previous run sealed but never acknowledged, then writes window batches (keys 1, 2, 3... as window ends), seals and acks
/// deltas, printing each acknowledgement AFTER the store's call returned: "w KEY" (windows up to KEY committed), "s SEQ ROWS"
/// (delta sealed), "a SEQ" (ack recorded). The parent kills it at a random moment, reopens the store itself and checks that
/// everything acknowledged is there exactly once: window keys 1..max with no gap or duplicate and max ≥ the last "w"; deltas
/// 1..n; every "s" present with its row count; every "a" settled; sealed rows = the deltas' rows. A SIGKILL only loses
/// what the process held in memory; it cannot show what an unforced write loses at power loss (that needs the source: fsync).
/// </summary>
public static class StoreKillAudit
{
    private const int Batch = 128;
    private const int SealRows = 512;
    private const int MaxWindowsPerStore = 30_000;

    /// <summary>The child: writes until killed (or <paramref name="maxKeys"/> windows exist), reporting acknowledgements on stdout.</summary>
    public static int RunChild(string store, string directory, long maxKeys, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        using var s = AuditStores.Open(store, directory);
        var (windows, _) = s.ReadBack();
        var key = windows.Count == 0 ? 1 : windows.Max(w => w.WindowEnd) + 1;
        output.WriteLine($"ready {key}");
        foreach (var d in s.Unacked())
        {
            s.RecordAck(d);
            output.WriteLine($"a {d.Sequence}");
        }

        var records = new WindowRecord[Batch];
        var ids = new long[Batch];
        var pending = windows.Count(w => w.Seq == 0);
        while (key <= maxKeys)
        {
            for (var i = 0; i < Batch; i++)
            {
                records[i] = AuditStores.Record(key + i);
            }

            s.InsertWindows(records, ids);
            key += Batch;
            output.WriteLine($"w {key - 1}");
            foreach (var r in records)
            {
                WindowRecordPool.Return(r);
            }

            pending += Batch;
            while (pending >= SealRows && s.TrySeal(SealRows) is { } sealedDelta)
            {
                pending -= sealedDelta.Rows;
                output.WriteLine($"s {sealedDelta.Sequence} {sealedDelta.Rows}");
                s.RecordAck(sealedDelta);
                output.WriteLine($"a {sealedDelta.Sequence}");
            }
        }

        return 0;
    }

    /// <summary>
    /// Runs <paramref name="kills"/> kill/restart cycles of store <paramref name="store"/> in <paramref name="directory"/>; the child
    /// is started as <paramref name="fileName"/> <paramref name="childPrefix"/> store-child --store S --dir D. Each kill comes
    /// 0-<paramref name="maxDelayMs"/> ms after the child said "ready" (so also during recovery resends and seals).
    /// </summary>
    public static async Task<StoreKillResult> RunAsync(string store, string directory, int kills, int seed, string fileName,
        IReadOnlyList<string> childPrefix, int maxDelayMs, Action<string>? log, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(childPrefix);
        var random = new Random(seed);
        var violations = new List<string>();
        long lastWindow = 0, ackedSeals = 0, windowsNow = 0, totalWindows = 0;
        var sealedRows = new Dictionary<long, int>();
        var acked = new HashSet<long>();
        var clock = Stopwatch.StartNew();
        var generation = 0;
        var current = Path.Combine(directory, "gen0");
        var done = 0;
        for (var kill = 1; kill <= kills && violations.Count < 20; kill++)
        {
            if (windowsNow > MaxWindowsPerStore)
            {
                // A fresh store now and then keeps each reopen and read-back short; the kills and checks go on.
                current = Path.Combine(directory, $"gen{++generation}");
                totalWindows += windowsNow;
                ackedSeals += sealedRows.Count;
                (lastWindow, windowsNow) = (0, 0);
                sealedRows.Clear();
                acked.Clear();
            }

            var lines = await RunOnceAsync(store, current, fileName, childPrefix, random.Next(maxDelayMs + 1), ct).ConfigureAwait(false);
            foreach (var line in lines)
            {
                var parts = line.Split(' ');
                if (parts.Length < 2 || !long.TryParse(parts[1], CultureInfo.InvariantCulture, out var n))
                {
                    continue;
                }

                switch (parts[0])
                {
                    case "w": lastWindow = Math.Max(lastWindow, n); break;
                    case "s": sealedRows[n] = int.Parse(parts[2], CultureInfo.InvariantCulture); break;
                    case "a": acked.Add(n); break;
                }
            }

            done = kill;
            windowsNow = Check(store, current, kill, lastWindow, sealedRows, acked, violations);
            if (kill % 50 == 0)
            {
                log?.Invoke($"{store}: {kill} kills, {totalWindows + windowsNow:N0} windows, {violations.Count} violations, {clock.Elapsed.TotalSeconds:0} s");
            }
        }

        return new StoreKillResult(store, seed, done, totalWindows + windowsNow, ackedSeals + sealedRows.Count, generation + 1, clock.Elapsed.TotalSeconds, violations);
    }

    private static async Task<List<string>> RunOnceAsync(string store, string directory, string fileName, IReadOnlyList<string> prefix, int delayMs, CancellationToken ct)
    {
        var info = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in prefix)
        {
            info.ArgumentList.Add(a);
        }

        foreach (var a in new[] { "store-child", "--store", store, "--dir", directory })
        {
            info.ArgumentList.Add(a);
        }

        var lines = new List<string>();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var errors = new System.Text.StringBuilder();
        using var child = new Process { StartInfo = info };
        child.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                ready.TrySetResult(); // stream closed: the child ended before saying ready (the wait below reports it)
                return;
            }

            lock (lines)
            {
                lines.Add(e.Data);
            }

            if (e.Data.StartsWith("ready", StringComparison.Ordinal))
            {
                ready.TrySetResult();
            }
        };
        child.ErrorDataReceived += (_, e) =>
        {
            lock (errors)
            {
                errors.AppendLine(e.Data);
            }
        };
        child.Start();
        child.BeginOutputReadLine();
        child.BeginErrorReadLine();
        try
        {
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(60), ct).ConfigureAwait(false);
            if (child.HasExited)
            {
                throw new InvalidOperationException($"store child ({store}) exited with code {child.ExitCode} before writing: {errors}");
            }

            await Task.Delay(delayMs, ct).ConfigureAwait(false);
        }
        finally
        {
            if (!child.HasExited)
            {
                child.Kill(); // SIGKILL on Unix: no finally blocks, no flush, no dispose in the child
            }

            // Returns once the child is gone and both redirected streams reached their end: every line it printed is in.
            await child.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }

        lock (lines)
        {
            return [.. lines];
        }
    }

    /// <summary>Reopens the store (as the restarted edge would) and records every broken promise; returns the window count.</summary>
    private static long Check(string store, string directory, int kill, long lastWindow, Dictionary<long, int> sealedRows,
        HashSet<long> acked, List<string> violations)
    {
        IReadOnlyList<(long WindowEnd, long Seq)> windows;
        IReadOnlyList<(SealedDelta Delta, bool Acked)> deltas;
        try
        {
            using var s = AuditStores.Open(store, directory);
            (windows, deltas) = s.ReadBack();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            violations.Add($"kill {kill}: the store does not open: {ex.Message}");
            return 0;
        }

        for (var i = 0; i < windows.Count; i++)
        {
            if (windows[i].WindowEnd != i + 1)
            {
                violations.Add($"kill {kill}: window #{i + 1} has key {windows[i].WindowEnd} (a key lost or written twice)");
                break;
            }
        }

        if (windows.Count < lastWindow)
        {
            violations.Add($"kill {kill}: windows up to {lastWindow} were acknowledged, the store holds {windows.Count}");
        }

        var bySeq = deltas.ToDictionary(d => d.Delta.Sequence);
        for (var i = 0; i < deltas.Count; i++)
        {
            if (deltas[i].Delta.Sequence != i + 1)
            {
                violations.Add($"kill {kill}: delta #{i + 1} has sequence {deltas[i].Delta.Sequence}");
                break;
            }
        }

        foreach (var (seq, rows) in sealedRows)
        {
            if (!bySeq.TryGetValue(seq, out var d) || d.Delta.Rows != rows)
            {
                violations.Add($"kill {kill}: acknowledged seal {seq} ({rows} rows) is {(d.Delta is null ? "missing" : $"stored with {d.Delta.Rows} rows")}");
            }
        }

        foreach (var seq in acked)
        {
            if (!bySeq.TryGetValue(seq, out var d) || !d.Acked)
            {
                violations.Add($"kill {kill}: the ack of delta {seq} was recorded and is lost");
            }
        }

        var stamped = windows.Count(w => w.Seq != 0);
        var inDeltas = deltas.Sum(d => (long)d.Delta.Rows);
        if (stamped != inDeltas)
        {
            violations.Add($"kill {kill}: {stamped} windows carry a delta sequence, the deltas hold {inDeltas} rows");
        }

        return windows.Count;
    }
}
