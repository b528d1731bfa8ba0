using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace EdgeHub.Simulator;

/// <summary>Live counters of a running fleet; every member is safe to read from any thread while the fleet runs.</summary>
public sealed class FleetStats
{
    internal long _connected, _connectFailures, _disconnects, _reconnects;
    internal long _framesSent, _bytesSent, _publishErrors, _duplicatesSent, _malformedSent, _framesQueued, _framesDropped;
    internal long _feedback, _feedbackUnmatched, _feedbackErrors, _lateFrames, _maxLagMicros, _alertsAnswered;
    private long _startTimestamp, _stopTimestamp;

    /// <summary>publish→feedback latency, matched by frame sequence number (µs).</summary>
    public LatencyHistogram Latency { get; } = new();

    /// <summary>Connections currently up.</summary>
    public long Connected => Interlocked.Read(ref _connected);
    /// <summary>Connection attempts that failed.</summary>
    public long ConnectFailures => Interlocked.Read(ref _connectFailures);
    /// <summary>Connections dropped (storms, broker closing).</summary>
    public long Disconnects => Interlocked.Read(ref _disconnects);
    /// <summary>Connections re-established after a drop.</summary>
    public long Reconnects => Interlocked.Read(ref _reconnects);
    /// <summary>Telemetry frames published (duplicates and malformed payloads included).</summary>
    public long FramesSent => Interlocked.Read(ref _framesSent);
    /// <summary>Payload bytes published.</summary>
    public long BytesSent => Interlocked.Read(ref _bytesSent);
    /// <summary>Publications that failed.</summary>
    public long PublishErrors => Interlocked.Read(ref _publishErrors);
    /// <summary>Frames deliberately sent twice.</summary>
    public long DuplicatesSent => Interlocked.Read(ref _duplicatesSent);
    /// <summary>Malformed payloads deliberately sent.</summary>
    public long MalformedSent => Interlocked.Read(ref _malformedSent);
    /// <summary>Frames held back (burst or offline) and sent later.</summary>
    public long FramesQueued => Interlocked.Read(ref _framesQueued);
    /// <summary>Frames lost because a device's offline queue was full.</summary>
    public long FramesDropped => Interlocked.Read(ref _framesDropped);
    /// <summary>Feedback messages received.</summary>
    public long Feedback => Interlocked.Read(ref _feedback);
    /// <summary>Feedback whose sequence number matched no recent frame.</summary>
    public long FeedbackUnmatched => Interlocked.Read(ref _feedbackUnmatched);
    /// <summary>Feedback with state "error" (the edge refused a frame).</summary>
    public long FeedbackErrors => Interlocked.Read(ref _feedbackErrors);
    /// <summary>Frames published more than 100 ms after they were due (the simulator could not keep up).</summary>
    public long LateFrames => Interlocked.Read(ref _lateFrames);
    /// <summary>Worst scheduling lag (µs).</summary>
    public long MaxLagMicros => Interlocked.Read(ref _maxLagMicros);
    /// <summary>Alerts the clinician bot answered.</summary>
    public long AlertsAnswered => Interlocked.Read(ref _alertsAnswered);
    /// <summary>Seconds the fleet has been sending (frozen when it stops).</summary>
    public double ElapsedSeconds => _startTimestamp == 0 ? 0
        : Stopwatch.GetElapsedTime(_startTimestamp, _stopTimestamp != 0 ? _stopTimestamp : Stopwatch.GetTimestamp()).TotalSeconds;

    internal void MarkStarted() => _startTimestamp = Stopwatch.GetTimestamp();

    internal void MarkStopped() => _stopTimestamp = Stopwatch.GetTimestamp();

    internal void RecordLag(long micros)
    {
        if (micros > 100_000)
        {
            Interlocked.Increment(ref _lateFrames);
        }

        var max = Interlocked.Read(ref _maxLagMicros);
        while (micros > max)
        {
            var seen = Interlocked.CompareExchange(ref _maxLagMicros, micros, max);
            if (seen == max)
            {
                break;
            }

            max = seen;
        }
    }

    /// <summary>A snapshot for the final JSON summary.</summary>
    public FleetSummary Summarize(FleetOptions options, string scenario, string? truthPath)
    {
        ArgumentNullException.ThrowIfNull(options);
        var elapsed = ElapsedSeconds;
        return new FleetSummary
        {
            Devices = options.Devices,
            Connections = (options.Devices + options.DevicesPerConnection - 1) / options.DevicesPerConnection,
            RatePerDevice = options.FramesPerSecond,
            SampleRate = options.SampleRate,
            Scenario = scenario,
            Seed = options.Seed,
            DurationSeconds = Math.Round(elapsed, 3),
            ConnectedAtEnd = Connected,
            ConnectFailures = ConnectFailures,
            Disconnects = Disconnects,
            Reconnects = Reconnects,
            FramesSent = FramesSent,
            // No frame can fall due during the first period (it is being acquired), so the rate is over the rest of the run.
            FramesPerSecond = elapsed > 0 ? Math.Round(FramesSent / Math.Max(elapsed - (1 / options.FramesPerSecond), elapsed / 2), 1) : 0,
            TargetFramesPerSecond = options.Devices * options.FramesPerSecond,
            BytesSent = BytesSent,
            PublishErrors = PublishErrors,
            DuplicatesSent = DuplicatesSent,
            MalformedSent = MalformedSent,
            FramesQueued = FramesQueued,
            FramesDropped = FramesDropped,
            LateFrames = LateFrames,
            MaxLagMs = MaxLagMicros / 1000.0,
            Feedback = Feedback,
            FeedbackUnmatched = FeedbackUnmatched,
            FeedbackErrors = FeedbackErrors,
            LatencyP50Ms = Latency.Percentile(50) / 1000.0,
            LatencyP99Ms = Latency.Percentile(99) / 1000.0,
            LatencyMaxMs = Latency.Max / 1000.0,
            AlertsAnswered = AlertsAnswered,
            TruthFile = truthPath,
        };
    }
}

/// <summary>The final summary a fleet run prints as one JSON object.</summary>
public sealed record FleetSummary
{
    public int Devices { get; init; }
    public int Connections { get; init; }
    public double RatePerDevice { get; init; }
    public int SampleRate { get; init; }
    public string Scenario { get; init; } = "";
    public int Seed { get; init; }
    public double DurationSeconds { get; init; }
    public long ConnectedAtEnd { get; init; }
    public long ConnectFailures { get; init; }
    public long Disconnects { get; init; }
    public long Reconnects { get; init; }
    public long FramesSent { get; init; }
    public double FramesPerSecond { get; init; }
    public double TargetFramesPerSecond { get; init; }
    public long BytesSent { get; init; }
    public long PublishErrors { get; init; }
    public long DuplicatesSent { get; init; }
    public long MalformedSent { get; init; }
    public long FramesQueued { get; init; }
    public long FramesDropped { get; init; }
    public long LateFrames { get; init; }
    public double MaxLagMs { get; init; }
    public long Feedback { get; init; }
    public long FeedbackUnmatched { get; init; }
    public long FeedbackErrors { get; init; }
    public double LatencyP50Ms { get; init; }
    public double LatencyP99Ms { get; init; }
    public double LatencyMaxMs { get; init; }
    public long AlertsAnswered { get; init; }
    public string? TruthFile { get; init; }

    /// <summary>One-line JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, SimulatorJson.Default.FleetSummary);
}

/// <summary>Source-generated JSON for the simulator's own outputs.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(FleetSummary))]
internal sealed partial class SimulatorJson : JsonSerializerContext;
