using System.Diagnostics;
using EdgeHub.Contracts;
using EdgeHub.Edge.Alerts;
using EdgeHub.Edge.Inference;
using EdgeHub.Edge.Status;
using EdgeHub.Mqtt;
using EdgeHub.Signals;
using Microsoft.Extensions.Logging;

namespace EdgeHub.Edge.Ingest;

/// <summary>
/// Telemetry ingest on the device client's dispatcher: parse into one reused frame, validate (size, format, site, sequence,
/// timestamp), update the device's analyzer, and hand one <see cref="WorkItem"/> per accepted frame to the inference
/// engine. A bad frame is counted, logged at most once per device per minute and answered on the device's feedback topic.
/// No allocation per frame in steady state except what the frame codec itself needs for identity strings.
/// </summary>
public sealed class TelemetryIngest
{
    private static readonly long TicksPerMinute = Stopwatch.Frequency * 60;
    private readonly EdgeOptions _options;
    private readonly DeviceRegistry _devices;
    private readonly InferenceEngine _engine;
    private readonly IEdgePublisher _publisher;
    private readonly EdgeMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TelemetryFrame _frame = new();
    private readonly HashSet<string>? _sites;

    /// <summary>Creates the ingest stage.</summary>
    public TelemetryIngest(EdgeOptions options, DeviceRegistry devices, InferenceEngine engine, IEdgePublisher publisher, EdgeMetrics metrics, ILogger logger)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _devices = devices ?? throw new ArgumentNullException(nameof(devices));
        _engine = engine ?? throw new ArgumentNullException(nameof(engine));
        _publisher = publisher ?? throw new ArgumentNullException(nameof(publisher));
        _metrics = metrics ?? throw new ArgumentNullException(nameof(metrics));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _sites = options.Sites.Count == 0 ? null : new HashSet<string>(options.Sites, StringComparer.Ordinal);
    }

    /// <summary>Handles one telemetry message (the payload is valid only during the call).</summary>
    public ValueTask OnTelemetryAsync(MqttApplicationMessage message, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(message);
        _metrics.FrameReceived();
        var topic = message.Topic.AsSpan();
        if (!TryDeviceId(topic, out var deviceId))
        {
            return ValueTask.CompletedTask;
        }

        var payload = message.Payload.Span;
        if (payload.Length > _options.MaxFrameBytes)
        {
            Refuse(deviceId, null, $"frame of {payload.Length} bytes exceeds the {_options.MaxFrameBytes}-byte limit");
            return ValueTask.CompletedTask;
        }

        var error = message.ContentType == ContentTypes.TelemetryJson
            ? TelemetryCodec.TryParseJson(payload, _frame)
            : TelemetryCodec.TryParse(payload, _frame);
        if (error != FrameError.None)
        {
            Refuse(deviceId, null, TelemetryCodec.Describe(error));
            return ValueTask.CompletedTask;
        }

        if (_sites is not null && !_sites.Contains(_frame.SiteId))
        {
            Refuse(deviceId, null, $"site '{_frame.SiteId}' is not served by edge {_options.EdgeId}; connect the device to its site's edge");
            return ValueTask.CompletedTask;
        }

        var nowMicros = UnixMicrosNow();
        var endMicros = _frame.TimestampMicros + (long)(_frame.SampleCount * 1_000_000.0 / _frame.SampleRate);
        if (_frame.TimestampMicros > nowMicros + (long)(_options.MaxClockSkewSeconds * 1e6))
        {
            Refuse(deviceId, null, $"frame timestamp is {(_frame.TimestampMicros - nowMicros) / 1e6:F0} s ahead of the edge clock (limit {_options.MaxClockSkewSeconds} s): fix the device clock");
            return ValueTask.CompletedTask;
        }

        var device = _devices.GetOrAdd(deviceId);
        if (!AcceptSequence(device, endMicros))
        {
            return ValueTask.CompletedTask;
        }

        Identify(device);
        var item = WorkItem.Rent();
        item.Device = device;
        item.Sequence = _frame.Sequence;
        item.FrameEndMicros = endMicros;
        item.ReceivedTicks = Stopwatch.GetTimestamp();
        lock (device.Sync)
        {
            if (device.Analyzer is null || device.SampleRate != _frame.SampleRate)
            {
                device.Analyzer = new EcgStreamAnalyzer(_frame.SampleRate);
                device.SampleRate = _frame.SampleRate;
                device.SecondsObserved = 0;
            }

            var analyzer = device.Analyzer;
            analyzer.Append(_frame);
            device.SecondsObserved += _frame.DurationSeconds;
            item.Safety = new SafetyInputs
            {
                HeartRate = SignalReadings.HeartRate(analyzer),
                SecondsSinceLastBeat = SignalReadings.SecondsSinceLastBeat(analyzer),
                FastWideRun = SignalReadings.FastWideRun(analyzer),
                SpO2 = _frame.SpO2,
                LeadOff = _frame.LeadOff,
                SecondsObserved = device.SecondsObserved,
            };
            if (analyzer.WindowReady)
            {
                analyzer.WriteFeatures(item.Features);
                item.HasWindow = true;
                _metrics.Window();
            }
        }

        device.SpO2 = _frame.SpO2;
        device.HeartRate = item.Safety.HeartRate;
        _metrics.FrameAccepted();
        return _engine.EnqueueAsync(item, ct);
    }

    private bool AcceptSequence(DeviceState device, long endMicros)
    {
        device.LastSeenTicks = Stopwatch.GetTimestamp();
        var seq = _frame.Sequence;
        if (device.HasFrames)
        {
            if (seq == device.LastSequence || (seq < device.LastSequence && endMicros <= device.LastFrameEndMicros))
            {
                // A redelivery (QoS 1 resend, device retry) or a stale frame: processing it again would double-count a window.
                device.DuplicateFrames++;
                _metrics.Duplicate();
                return false;
            }

            if (seq > device.LastSequence + 1)
            {
                var lost = seq - device.LastSequence - 1;
                device.LostFrames += lost;
                _metrics.Lost(lost);
                if (lost > 2)
                {
                    // Too much missing signal to splice: restart the analyzer rather than compute features across the gap.
                    lock (device.Sync)
                    {
                        device.Analyzer = null;
                    }
                }
            }
            else if (seq < device.LastSequence)
            {
                // Sequence went back while device time moved on: the device restarted its counter.
                lock (device.Sync)
                {
                    device.Analyzer = null;
                }
            }
        }

        device.HasFrames = true;
        device.LastSequence = seq;
        device.LastFrameEndMicros = endMicros;
        return true;
    }

    private void Identify(DeviceState device)
    {
        if (!string.Equals(device.PatientId, _frame.PatientId, StringComparison.Ordinal))
        {
            device.PatientId = _frame.PatientId;
            device.PatientPseudonym = _devices.Pseudonymizer.Pseudonymise("patient", _frame.PatientId);
        }

        if (!string.Equals(device.SiteId, _frame.SiteId, StringComparison.Ordinal))
        {
            device.SiteId = _frame.SiteId;
            device.AlertsTopic = Topics.Alerts(Ids.IsValid(_frame.SiteId) ? _frame.SiteId : "unknown");
        }

        if (!string.Equals(device.Bed, _frame.Bed, StringComparison.Ordinal))
        {
            device.Bed = _frame.Bed;
        }
    }

    private void Refuse(ReadOnlySpan<char> deviceIdSpan, DeviceState? known, string reason)
    {
        _metrics.BadFrame();
        var device = known ?? (Ids.IsValid(deviceIdSpan.ToString()) ? _devices.GetOrAdd(deviceIdSpan) : null);
        var now = Stopwatch.GetTimestamp();
        var deviceId = device?.DeviceId ?? deviceIdSpan.ToString();
        if (device is not null)
        {
            device.BadFrames++;
        }

        if (device is null || now - device.LastErrorLogTicks > TicksPerMinute)
        {
            if (device is not null)
            {
                device.LastErrorLogTicks = now;
            }

            _logger.LogWarning("frame from device {DeviceId} refused: {Reason} (logged at most once a minute per device)", deviceId, reason);
        }

        var payload = FeedbackWriter.Error(_frame.Sequence, reason);
        _publisher.Publish(device?.FeedbackTopic ?? Topics.Feedback(deviceId), payload, MqttQos.AtMostOnce, ContentTypes.Json);
    }

    private static bool TryDeviceId(ReadOnlySpan<char> topic, out ReadOnlySpan<char> id)
    {
        // ehub/v1/devices/{deviceId}/telemetry
        const string prefix = Topics.Root + "/devices/";
        const string suffix = "/telemetry";
        id = default;
        if (!topic.StartsWith(prefix, StringComparison.Ordinal) || !topic.EndsWith(suffix, StringComparison.Ordinal))
        {
            return false;
        }

        id = topic[prefix.Length..^suffix.Length];
        return !id.IsEmpty && id.IndexOf('/') < 0;
    }

    /// <summary>Microseconds since the Unix epoch, now.</summary>
    public static long UnixMicrosNow() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10;
}
