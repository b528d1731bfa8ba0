using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace EdgeHub.Edge.Status;

/// <summary>
/// Counters and the ingest→feedback latency histogram of one agent; lock-free on the hot path (Interlocked), rendered as
/// Prometheus text on /metrics.
/// </summary>
public sealed class EdgeMetrics
{
    // Latency buckets in microseconds: 50 µs … ~3 s, ×1.25 per bucket (fine enough for a p99 to within 25 %).
    private static readonly double[] BucketBounds = BuildBounds();
    private readonly long[] _latency = new long[BucketBounds.Length + 1];
    private long _framesReceived, _framesAccepted, _framesShed, _badFrames, _duplicates, _lost, _windows, _inferred, _feedback,
        _alertsRaised, _alertsCleared, _labels, _labelsUnmatched, _modelFailures, _deltasSent, _deltasAcked, _deltasRejected;
    private long _rateTicks = Stopwatch.GetTimestamp();
    private long _rateFrames;
    private double _framesPerSecond;

    public long FramesReceived => Interlocked.Read(ref _framesReceived);
    public long FramesAccepted => Interlocked.Read(ref _framesAccepted);
    public long FramesShed => Interlocked.Read(ref _framesShed);
    public long BadFrames => Interlocked.Read(ref _badFrames);
    public long DuplicateFrames => Interlocked.Read(ref _duplicates);
    public long LostFrames => Interlocked.Read(ref _lost);
    public long Windows => Interlocked.Read(ref _windows);
    public long WindowsInferred => Interlocked.Read(ref _inferred);
    public long FeedbackSent => Interlocked.Read(ref _feedback);
    public long AlertsRaised => Interlocked.Read(ref _alertsRaised);
    public long AlertsCleared => Interlocked.Read(ref _alertsCleared);
    public long Labels => Interlocked.Read(ref _labels);
    public long LabelsUnmatched => Interlocked.Read(ref _labelsUnmatched);
    public long ModelFailures => Interlocked.Read(ref _modelFailures);
    public long DeltasSent => Interlocked.Read(ref _deltasSent);
    public long DeltasAcked => Interlocked.Read(ref _deltasAcked);
    public long DeltasRejected => Interlocked.Read(ref _deltasRejected);

    public void FrameReceived() => Interlocked.Increment(ref _framesReceived);
    public void FrameAccepted() => Interlocked.Increment(ref _framesAccepted);
    public void Shed(long n) => Interlocked.Add(ref _framesShed, n);
    public void BadFrame() => Interlocked.Increment(ref _badFrames);
    public void Duplicate() => Interlocked.Increment(ref _duplicates);
    public void Lost(long n) => Interlocked.Add(ref _lost, n);
    public void Window() => Interlocked.Increment(ref _windows);
    public void Inferred(int n) => Interlocked.Add(ref _inferred, n);
    public void AlertRaised() => Interlocked.Increment(ref _alertsRaised);
    public void AlertCleared() => Interlocked.Increment(ref _alertsCleared);
    public void Label(bool matched) => Interlocked.Increment(ref matched ? ref _labels : ref _labelsUnmatched);
    public void ModelFailure() => Interlocked.Increment(ref _modelFailures);
    public void DeltaSent() => Interlocked.Increment(ref _deltasSent);
    public void DeltaAcked() => Interlocked.Increment(ref _deltasAcked);
    public void DeltaRejected() => Interlocked.Increment(ref _deltasRejected);

    /// <summary>Records one feedback sent <paramref name="receivedTicks"/> after its frame arrived.</summary>
    public void Feedback(long receivedTicks)
    {
        Interlocked.Increment(ref _feedback);
        var micros = Stopwatch.GetElapsedTime(receivedTicks).TotalMicroseconds;
        var i = Array.BinarySearch(BucketBounds, micros);
        Interlocked.Increment(ref _latency[i < 0 ? ~i : i]);
    }

    /// <summary>Ingest→feedback latency quantile in milliseconds (upper bucket bound), or null without samples.</summary>
    public double? LatencyQuantileMs(double q)
    {
        long total = 0;
        for (var i = 0; i < _latency.Length; i++)
        {
            total += Interlocked.Read(ref _latency[i]);
        }

        if (total == 0)
        {
            return null;
        }

        var target = (long)Math.Ceiling(q * total);
        long seen = 0;
        for (var i = 0; i < _latency.Length; i++)
        {
            seen += Interlocked.Read(ref _latency[i]);
            if (seen >= target)
            {
                return (i < BucketBounds.Length ? BucketBounds[i] : BucketBounds[^1] * 1.25) / 1000;
            }
        }

        return BucketBounds[^1] / 1000;
    }

    /// <summary>Clears the latency histogram (benchmarks measure one rate step at a time).</summary>
    public void ResetLatency()
    {
        for (var i = 0; i < _latency.Length; i++)
        {
            Interlocked.Exchange(ref _latency[i], 0);
        }
    }

    /// <summary>Accepted frames per second since the previous call (status reporting).</summary>
    public double SampleFramesPerSecond()
    {
        var now = Stopwatch.GetTimestamp();
        var frames = FramesAccepted;
        var seconds = Stopwatch.GetElapsedTime(Interlocked.Exchange(ref _rateTicks, now), now).TotalSeconds;
        var delta = frames - Interlocked.Exchange(ref _rateFrames, frames);
        if (seconds > 0.2)
        {
            _framesPerSecond = delta / seconds;
        }

        return _framesPerSecond;
    }

    /// <summary>Prometheus text exposition (version 0.0.4) with the given extra gauges.</summary>
    public string ToPrometheus(IEnumerable<KeyValuePair<string, double>> gauges)
    {
        ArgumentNullException.ThrowIfNull(gauges);
        var sb = new StringBuilder();
        Counter(sb, "edgehub_edge_frames_received_total", FramesReceived, "telemetry messages received");
        Counter(sb, "edgehub_edge_frames_accepted_total", FramesAccepted, "frames that passed validation");
        Counter(sb, "edgehub_edge_frames_shed_total", FramesShed, "accepted frames shed under overload (inference queue full): no feedback, no window row");
        Counter(sb, "edgehub_edge_frames_bad_total", BadFrames, "frames refused (malformed, out of range, wrong site)");
        Counter(sb, "edgehub_edge_frames_duplicate_total", DuplicateFrames, "duplicate or stale frames ignored");
        Counter(sb, "edgehub_edge_frames_lost_total", LostFrames, "frames missing according to device sequence numbers");
        Counter(sb, "edgehub_edge_windows_total", Windows, "feature windows computed");
        Counter(sb, "edgehub_edge_windows_inferred_total", WindowsInferred, "windows run through the model");
        Counter(sb, "edgehub_edge_feedback_total", FeedbackSent, "feedback messages sent to devices");
        Counter(sb, "edgehub_edge_alerts_raised_total", AlertsRaised, "alerts raised");
        Counter(sb, "edgehub_edge_alerts_cleared_total", AlertsCleared, "alerts cleared");
        Counter(sb, "edgehub_edge_labels_total", Labels, "clinician labels joined to windows");
        Counter(sb, "edgehub_edge_labels_unmatched_total", LabelsUnmatched, "labels for alerts this edge has no windows of");
        Counter(sb, "edgehub_edge_model_failures_total", ModelFailures, "model run failures");
        Counter(sb, "edgehub_edge_deltas_sent_total", DeltasSent, "delta publications (including resends)");
        Counter(sb, "edgehub_edge_deltas_acked_total", DeltasAcked, "deltas acknowledged by the hub");
        Counter(sb, "edgehub_edge_deltas_rejected_total", DeltasRejected, "deltas the hub rejected");
        foreach (var (name, value) in gauges)
        {
            sb.Append("# TYPE ").Append(name).Append(" gauge\n").Append(name).Append(' ')
                .Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        }

        sb.Append("# HELP edgehub_edge_feedback_latency_seconds frame arrival to feedback publish\n# TYPE edgehub_edge_feedback_latency_seconds histogram\n");
        long cumulative = 0;
        for (var i = 0; i < BucketBounds.Length; i++)
        {
            cumulative += Interlocked.Read(ref _latency[i]);
            sb.Append("edgehub_edge_feedback_latency_seconds_bucket{le=\"")
                .Append((BucketBounds[i] / 1e6).ToString("G6", CultureInfo.InvariantCulture)).Append("\"} ").Append(cumulative).Append('\n');
        }

        cumulative += Interlocked.Read(ref _latency[^1]);
        sb.Append("edgehub_edge_feedback_latency_seconds_bucket{le=\"+Inf\"} ").Append(cumulative).Append('\n');
        sb.Append("edgehub_edge_feedback_latency_seconds_count ").Append(cumulative).Append('\n');
        return sb.ToString();
    }

    private static void Counter(StringBuilder sb, string name, long value, string help) =>
        sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append("\n# TYPE ").Append(name).Append(" counter\n")
            .Append(name).Append(' ').Append(value).Append('\n');

    private static double[] BuildBounds()
    {
        var list = new List<double>();
        for (var b = 50.0; b < 3_000_000; b *= 1.25)
        {
            list.Add(b);
        }

        return [.. list];
    }
}
