using EdgeHub.Contracts;
using EdgeHub.Edge.Alerts;
using EdgeHub.Edge.Inference;
using EdgeHub.Edge.Ingest;
using EdgeHub.Edge.Models;
using EdgeHub.Edge.Status;
using EdgeHub.Mqtt;
using EdgeHub.Signals;

namespace EdgeHub.Edge.Replay;

/// <summary>One alert episode the edge raised during a replay, in samples of the record: <c>[Start, End)</c>.</summary>
/// <param name="Kind">Alert kind (<see cref="AlertKind.Name"/>: "af", "vt", "vt_run", …).</param>
/// <param name="Source">"model" or "safety".</param>
public sealed record ReplayAlert(string Kind, string Source, long Start, long End);

/// <summary>What the edge made of one record: its alert episodes and each window's predicted class.</summary>
/// <param name="WindowEnds">Sample index of each window's end (one window a second once 10 s were seen).</param>
/// <param name="WindowClasses">The model's class per window (arg max), or -1 when no model ran.</param>
public sealed record ReplayResult(string Record, int SampleRate, long Length, IReadOnlyList<ReplayAlert> Alerts, long[] WindowEnds, int[] WindowClasses)
{
    /// <summary>Episodes of the given alert kinds (merged where they overlap is left to the scorer).</summary>
    public List<RhythmEpisode> Episodes(params string[] kinds) =>
        [.. Alerts.Where(a => kinds.Contains(a.Kind, StringComparer.Ordinal)).Select(a => new RhythmEpisode(a.Start, a.End))];
}

/// <summary>
/// Runs a recorded ECG through the edge's own path without a broker: the device's <see cref="EcgStreamAnalyzer"/> per
/// 1-second frame, the safety inputs as <see cref="TelemetryIngest"/> derives them, the served model through
/// <see cref="LoadedModel"/> in micro-batches, and every frame through the <see cref="OutputStage"/> (safety net, model
/// hysteresis, one alert id per episode), whose published alerts become episodes. Same order and state as a live edge;
/// only transport, store and the model's signature check are left out.
/// </summary>
public static class RecordReplay
{
    /// <summary>Replays <paramref name="signal"/> of <paramref name="record"/>; <paramref name="model"/> null = safety net only.</summary>
    public static ReplayResult Run(WfdbRecord record, int signal, LoadedModel? model, AlertOptions? alerts = null)
    {
        ArgumentNullException.ThrowIfNull(record);
        var options = new EdgeOptions { Alerts = alerts ?? new AlertOptions() };
        var rate = RecordFrames.SampleRateOf(record);
        var device = new DeviceState("replay-" + record.Name, options.Alerts) { SiteId = "replay", AlertsTopic = "replay/alerts" };
        var analyzer = new EcgStreamAnalyzer(rate, options.Alerts.StripSeconds);
        var items = new List<WorkItem>(record.Length / rate + 1);
        var windows = 0;
        foreach (var frame in RecordFrames.Enumerate(record, signal))
        {
            analyzer.Append(frame);
            device.SecondsObserved += frame.DurationSeconds;
            var item = WorkItem.Rent();
            item.Device = device;
            item.Sequence = frame.Sequence;
            item.FrameEndMicros = frame.TimestampMicros + (long)(frame.SampleCount * 1_000_000.0 / frame.SampleRate);
            item.Safety = new SafetyInputs
            {
                HeartRate = SignalReadings.HeartRate(analyzer),
                SecondsSinceLastBeat = SignalReadings.SecondsSinceLastBeat(analyzer),
                FastWideRun = SignalReadings.FastWideRun(analyzer),
                LeadOff = frame.LeadOff,
                SecondsObserved = device.SecondsObserved,
            };
            if (analyzer.WindowReady)
            {
                analyzer.WriteFeatures(item.Features);
                item.HasWindow = true;
                item.BatchRow = windows++;
            }

            items.Add(item);
        }

        var probabilities = model is null ? [] : Infer(model, items, windows);
        var collector = new AlertCollector(rate);
        var feed = new AlertFeed();
        feed.Published += collector.Add;
        var output = new OutputStage(options, NoTransport.Instance, store: null, feed, new DriftMonitor(), new EdgeMetrics());
        var ends = new long[windows];
        var classes = new int[windows];
        foreach (var item in items)
        {
            var probs = model is not null && item.HasWindow
                ? probabilities.AsSpan(item.BatchRow * RhythmClasses.Count, RhythmClasses.Count)
                : Span<float>.Empty;
            if (item.HasWindow)
            {
                ends[item.BatchRow] = item.FrameEndMicros * rate / 1_000_000;
                classes[item.BatchRow] = probs.IsEmpty ? -1 : InferenceEngine.ArgMax(probs);
            }

            output.Complete(item, probs, model?.Version);
            WorkItem.Return(item);
        }

        return new ReplayResult(record.Name, rate, record.Length, collector.Finish(record.Length), ends, classes);
    }

    private static float[] Infer(LoadedModel model, List<WorkItem> items, int windows)
    {
        var features = new float[windows * FeatureSchema.Count];
        foreach (var item in items)
        {
            if (item.HasWindow)
            {
                item.Features.CopyTo(features.AsSpan(item.BatchRow * FeatureSchema.Count));
            }
        }

        // The inference thread's chunking: at most the model's batch per ORT call.
        var probabilities = new float[windows * RhythmClasses.Count];
        for (var start = 0; start < windows; start += model.MaxBatch)
        {
            var count = Math.Min(model.MaxBatch, windows - start);
            model.Run(features.AsSpan(start * FeatureSchema.Count, count * FeatureSchema.Count), count,
                probabilities.AsSpan(start * RhythmClasses.Count, count * RhythmClasses.Count));
        }

        return probabilities;
    }

    /// <summary>Turns raised/cleared alert messages into episodes (device time µs → samples).</summary>
    private sealed class AlertCollector(int rate)
    {
        private readonly Dictionary<string, (AlertMessage Raised, long Start)> _open = new(StringComparer.Ordinal);
        private readonly List<ReplayAlert> _done = [];

        public void Add(AlertMessage m)
        {
            if (m.State == "raised")
            {
                _open[m.AlertId] = (m, ToSample(m.StartedAt));
            }
            else if (m.State == "cleared" && _open.Remove(m.AlertId, out var raised))
            {
                _done.Add(new ReplayAlert(m.Kind, m.Source, raised.Start, ToSample(m.UpdatedAt)));
            }
        }

        public List<ReplayAlert> Finish(long length)
        {
            foreach (var (raised, start) in _open.Values)
            {
                _done.Add(new ReplayAlert(raised.Kind, raised.Source, start, length)); // still active when the record ends
            }

            _open.Clear();
            return [.. _done.OrderBy(a => a.Start)];
        }

        private long ToSample(DateTimeOffset at) => (at.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10 * rate / 1_000_000;
    }

    /// <summary>A replay has no broker: alerts are taken from the feed, feedback goes nowhere.</summary>
    private sealed class NoTransport : IEdgePublisher
    {
        public static readonly NoTransport Instance = new();

        public void Publish(string topic, ReadOnlyMemory<byte> payload, MqttQos qos, string contentType)
        {
        }
    }
}
