using System.Diagnostics;
using System.Globalization;
using EdgeHub.Contracts;
using EdgeHub.Edge;
using EdgeHub.Edge.Ingest;
using EdgeHub.Edge.Store;
using EdgeHub.Signals;
using EdgeHub.Simulator;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeHub.Bench;

/// <summary>
/// <c>./edgehub bench pipeline --profile [--devices N] [--seconds S]</c>: where a frame's CPU time and a device's memory go,
/// stage by stage, in this process and without MQTT: frame codec, per-device analyzer (QRS detection, quality), feature
/// extraction, feedback JSON, and batched SQLite window inserts; then the managed bytes each tracked device costs.
/// Frames are synthetic 1-second 250 Hz ECG frames encoded once up front and replayed in arrival order (second by second,
/// device by device), as the agent sees them.
/// </summary>
public static class PipelineProfile
{
    /// <summary>Runs the profile and prints one line per stage.</summary>
    public static int Run(int devices, int seconds, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var frames = Encode(devices, seconds);
        output.WriteLine($"pipeline profile: {devices} devices x {seconds} s of 250 Hz frames ({frames.Length * frames[0].Length} frames), single thread, CPU time");
        output.WriteLine($"{"stage",-34} {"ns/frame",10} {"B alloc/frame",14}");
        var frame = new TelemetryFrame();

        Measure(output, "codec TryParse (strings decoded)", frames, (payload, _) => TelemetryCodec.TryParse(payload, frame));
        Measure(output, "codec TryParse (identity bytes)", frames, (payload, device) => TelemetryCodec.TryParse(payload, frame, out _));

        var analyzers = new EcgStreamAnalyzer[devices];
        var features = new float[FeatureSchema.Count];
        Measure(output, "analyzer Append (QRS, quality)", frames, (payload, d) =>
        {
            TelemetryCodec.TryParse(payload, frame, out _);
            (analyzers[d] ??= new EcgStreamAnalyzer(frame.SampleRate)).Append(frame);
            return FrameError.None;
        }, subtractParse: true, frame);
        Measure(output, "features (window ready)", frames, (_, d) =>
        {
            if (analyzers[d].WindowReady)
            {
                analyzers[d].WriteFeatures(features);
            }

            return FrameError.None;
        });

        var feedback = new FeedbackWriter();
        Measure(output, "feedback JSON", frames, (_, d) =>
        {
            feedback.Write((uint)d, 72.4, 0, 0.93f, false, null, "bench-1");
            return FrameError.None;
        });

        MeasureStore(output, devices * seconds);
        MeasureMemory(output, devices, frames);
        return 0;
    }

    private delegate FrameError Stage(ReadOnlySpan<byte> payload, int device);

    private static byte[][][] Encode(int devices, int seconds)
    {
        var frames = new byte[seconds][][];
        var sources = new SyntheticEcg[devices];
        var frame = new TelemetryFrame { SpO2 = 97, RespirationRate = 14 };
        var start = DateTimeOffset.UtcNow.AddSeconds(-seconds);
        for (var s = 0; s < seconds; s++)
        {
            frames[s] = new byte[devices][];
            for (var d = 0; d < devices; d++)
            {
                var source = sources[d] ??= new SyntheticEcg(250, d);
                frame.Sequence = (uint)s;
                frame.PatientId = "patient-" + d.ToString("D5", CultureInfo.InvariantCulture);
                frame.SiteId = "ward-1";
                frame.Bed = "bed-" + (d % 40).ToString(CultureInfo.InvariantCulture);
                source.Generate(frame, start.AddSeconds(s), 250, null);
                frames[s][d] = TelemetryCodec.Encode(frame);
            }
        }

        return frames;
    }

    private static void Measure(TextWriter output, string name, byte[][][] frames, Stage stage, bool subtractParse = false, TelemetryFrame? frame = null)
    {
        long n = 0;
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var cpu = CpuNanoseconds();
        foreach (var second in frames)
        {
            for (var d = 0; d < second.Length; d++)
            {
                stage(second[d], d);
                n++;
            }
        }

        var elapsed = CpuNanoseconds() - cpu;
        var bytes = GC.GetAllocatedBytesForCurrentThread() - allocated;
        if (subtractParse && frame is not null)
        {
            // The stage re-parsed each frame to get its samples: take the parse's own cost off again.
            var parse = CpuNanoseconds();
            foreach (var second in frames)
            {
                foreach (var payload in second)
                {
                    TelemetryCodec.TryParse(payload, frame, out _);
                }
            }

            elapsed -= CpuNanoseconds() - parse;
        }

        output.WriteLine($"{name,-34} {elapsed / n,10:F0} {(double)bytes / n,14:F1}");
    }

    private static void MeasureStore(TextWriter output, int rows)
    {
        var dir = Path.Combine(Path.GetTempPath(), "edgehub-profile-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        try
        {
            using var store = new EdgeStore(Path.Combine(dir, "edge.db"), "profile-edge", NullLogger.Instance);
            var batch = new WindowRecord[1024];
            var ids = new long[batch.Length];
            for (var i = 0; i < batch.Length; i++)
            {
                batch[i] = new WindowRecord
                {
                    SiteId = "ward-1",
                    DevicePseudonym = "d_" + i.ToString("x12", CultureInfo.InvariantCulture),
                    PatientPseudonym = "p_" + i.ToString("x12", CultureInfo.InvariantCulture),
                    ModelVersion = "bench-1",
                    PredictedClass = 0,
                };
            }

            var clock = Stopwatch.StartNew();
            var cpu = CpuNanoseconds();
            var written = 0;
            while (written < rows)
            {
                store.InsertWindows(batch, ids);
                written += batch.Length;
            }

            output.WriteLine($"{"SQLite window insert (1024/tx)",-34} {(CpuNanoseconds() - cpu) / written,10:F0} {"(per row)",14} wall {clock.Elapsed.TotalNanoseconds / written:F0} ns/row");
        }
        finally
        {
            SqliteCleanup(dir);
        }
    }

    /// <summary>CPU time of this process (the profile runs on one thread): steadier than wall time on a shared machine.</summary>
    private static double CpuNanoseconds()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime.Ticks * 100.0;
    }

    private static void SqliteCleanup(string dir)
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// Managed bytes per tracked device, component by component, each measured as the heap growth (after full GCs) of
    /// adding it to every device: registry entry and <see cref="DeviceState"/> (with its alert tracker, window log and
    /// pseudonym), the identity the first frame brings (patient id and pseudonym, site, bed), then the signal analyzer
    /// after the frames.
    /// </summary>
    private static void MeasureMemory(TextWriter output, int devices, byte[][][] frames)
    {
        var options = new EdgeOptions { PseudonymKey = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", MaxDevices = devices * 2 };
        var registry = new DeviceRegistry(options);
        var frame = new TelemetryFrame();
        var ids = new string[devices];
        for (var d = 0; d < devices; d++)
        {
            ids[d] = "dev-" + d.ToString("D5", CultureInfo.InvariantCulture);
        }

        var states = new DeviceState[devices];
        var mark = GC.GetTotalMemory(forceFullCollection: true);
        for (var d = 0; d < devices; d++)
        {
            states[d] = registry.GetOrAdd(ids[d]);
        }

        var stateBytes = Grown(ref mark);
        for (var d = 0; d < devices; d++)
        {
            // What TelemetryIngest keeps of a binary frame's identity.
            TelemetryCodec.TryParse(frames[0][d], frame, out var identity);
            var device = states[d];
            device.PatientId = identity.PatientIdString();
            device.PatientPseudonym = registry.Pseudonymizer.Pseudonymise("patient", device.PatientId);
            (device.SiteId, device.AlertsTopic) = registry.Site(identity.SiteIdString());
            device.Bed = identity.BedString();
            device.RememberIdentity(identity);
        }

        var identityBytes = Grown(ref mark);
        foreach (var second in frames)
        {
            for (var d = 0; d < devices; d++)
            {
                TelemetryCodec.TryParse(second[d], frame, out _);
                var device = states[d];
                device.Analyzer ??= new EcgStreamAnalyzer(frame.SampleRate, options.Alerts.StripSeconds);
                device.Analyzer.Append(frame);
            }
        }

        var analyzerBytes = Grown(ref mark);
        var reported = states[0].Analyzer!.ApproximateBytes;
        output.WriteLine($"memory per device (managed bytes): state {stateBytes / (double)devices:F0}, identity {identityBytes / (double)devices:F0}, analyzer {analyzerBytes / (double)devices:F0} (reports {reported} B of signal state); total {(stateBytes + identityBytes + analyzerBytes) / (double)devices:F0}");
        GC.KeepAlive(registry);
        GC.KeepAlive(states);
    }

    private static long Grown(ref long mark)
    {
        var now = GC.GetTotalMemory(forceFullCollection: true);
        var grown = now - mark;
        mark = now;
        return grown;
    }
}
