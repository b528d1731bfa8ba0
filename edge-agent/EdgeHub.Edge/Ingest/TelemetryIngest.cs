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
/// Telemetry ingest, called inline on the embedded broker's device connections (several at once) or on the device
/// client's dispatcher (external broker): parse into a reused per-thread frame, validate (size, format, site, sequence,
/// timestamp), update the device's analyzer, and hand one <see cref="WorkItem"/> per accepted frame to the inference
/// engine. A bad frame is counted, logged at most once per device per minute and answered on the device's feedback topic.
/// Identity fields are compared as bytes against the device's cached identity, so steady state allocates nothing per frame.
/// Overload policy when the inference queue is full: a QoS 1/2 frame waits for room (back-pressure: the broker holds the
/// device's messages in its bounded in-flight window, nothing is lost); a QoS 0 frame, which its sender accepted may be lost,
/// is shed and counted (edgehub_edge_frames_shed_total, a warning at most every 10 s) rather than delaying every other device.
/// </summary>
public sealed class TelemetryIngest
{
    private static readonly long TicksPerMinute = Stopwatch.Frequency * 60;
    private static readonly long TicksPer10Seconds = Stopwatch.Frequency * 10;
    private readonly EdgeOptions _options;
    private readonly DeviceRegistry _devices;
    private readonly InferenceEngine _engine;
    private readonly IEdgePublisher _publisher;
    private readonly EdgeMetrics _metrics;
    private readonly ILogger _logger;
    // One frame per calling thread: broker connections call in parallel, and the frame is only used until the call returns.
    [ThreadStatic] private static TelemetryFrame? t_frame;
    private readonly HashSet<string>? _sites;
    private long _lastShedLogTicks;
    private long _shedSinceLog;

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

    /// <summary>Handles one telemetry message from the device client (the payload is valid only during the call).</summary>
    public ValueTask OnTelemetryAsync(MqttApplicationMessage message, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(message);
        return OnTelemetry(message.Topic, message.Payload.Span, message.ContentType, message.Qos, ct);
    }

    /// <summary>Handles one telemetry message from the embedded broker (in-process subscription; no copy of the payload).</summary>
    public ValueTask OnTelemetryAsync(LocalMessage message, CancellationToken ct) =>
        OnTelemetry(message.Topic, message.Payload.Span, message.ContentType, message.Qos, ct);

    private ValueTask OnTelemetry(string topicName, ReadOnlySpan<byte> payload, string? contentType, MqttQos qos, CancellationToken ct)
    {
        _metrics.FrameReceived();
        var frame = t_frame ??= new TelemetryFrame();
        frame.Sequence = 0; // a frame refused before parsing is answered with sequence 0, not another frame's
        if (!TryDeviceId(topicName.AsSpan(), out var deviceId))
        {
            return ValueTask.CompletedTask;
        }

        if (payload.Length > _options.MaxFrameBytes)
        {
            Refuse(frame, deviceId, null, $"frame of {payload.Length} bytes exceeds the {_options.MaxFrameBytes}-byte limit");
            return ValueTask.CompletedTask;
        }

        var json = contentType == ContentTypes.TelemetryJson;
        TelemetryIdentity identity = default;
        var error = json ? TelemetryCodec.TryParseJson(payload, frame) : TelemetryCodec.TryParse(payload, frame, out identity);
        if (error != FrameError.None)
        {
            Refuse(frame, deviceId, null, TelemetryCodec.Describe(error));
            return ValueTask.CompletedTask;
        }

        var device = _devices.GetOrAdd(deviceId);
        if (json)
        {
            Identify(device, frame.PatientId, frame.SiteId, frame.Bed);
            device.ForgetIdentityBytes();
        }
        else if (!device.HasIdentity(identity))
        {
            Identify(device, identity.PatientIdString(), identity.SiteIdString(), identity.BedString());
            device.RememberIdentity(identity);
        }

        if (_sites is not null && !_sites.Contains(device.SiteId))
        {
            Refuse(frame, deviceId, device, $"site '{device.SiteId}' is not served by edge {_options.EdgeId}; connect the device to its site's edge");
            return ValueTask.CompletedTask;
        }

        var nowMicros = UnixMicrosNow();
        var endMicros = frame.TimestampMicros + (long)(frame.SampleCount * 1_000_000.0 / frame.SampleRate);
        if (frame.TimestampMicros > nowMicros + (long)(_options.MaxClockSkewSeconds * 1e6))
        {
            Refuse(frame, deviceId, device, $"frame timestamp is {(frame.TimestampMicros - nowMicros) / 1e6:F0} s ahead of the edge clock (limit {_options.MaxClockSkewSeconds} s): fix the device clock");
            return ValueTask.CompletedTask;
        }

        if (!AcceptSequence(frame, device, endMicros))
        {
            return ValueTask.CompletedTask;
        }

        var item = WorkItem.Rent();
        item.Device = device;
        item.Sequence = frame.Sequence;
        item.FrameEndMicros = endMicros;
        item.ReceivedTicks = Stopwatch.GetTimestamp();
        lock (device.Sync)
        {
            if (device.Analyzer is null || device.SampleRate != frame.SampleRate)
            {
                device.Analyzer = new EcgStreamAnalyzer(frame.SampleRate, _options.Alerts.StripSeconds);
                device.SampleRate = frame.SampleRate;
                device.SecondsObserved = 0;
            }

            var analyzer = device.Analyzer;
            analyzer.Append(frame);
            device.SecondsObserved += frame.DurationSeconds;
            item.Safety = new SafetyInputs
            {
                HeartRate = SignalReadings.HeartRate(analyzer),
                SecondsSinceLastBeat = SignalReadings.SecondsSinceLastBeat(analyzer),
                FastWideRun = SignalReadings.FastWideRun(analyzer),
                SpO2 = frame.SpO2,
                LeadOff = frame.LeadOff,
                SecondsObserved = device.SecondsObserved,
            };
            if (analyzer.WindowReady)
            {
                analyzer.WriteFeatures(item.Features);
                item.HasWindow = true;
                _metrics.Window();
            }
        }

        device.SpO2 = frame.SpO2;
        device.HeartRate = item.Safety.HeartRate;
        _metrics.FrameAccepted();
        if (qos != MqttQos.AtMostOnce)
        {
            return _engine.EnqueueAsync(item, ct);
        }

        if (!_engine.TryEnqueue(item))
        {
            Shed(item);
        }

        return ValueTask.CompletedTask;
    }

    private void Shed(WorkItem item)
    {
        WorkItem.Return(item);
        _metrics.Shed(1);
        Interlocked.Increment(ref _shedSinceLog);
        var now = Stopwatch.GetTimestamp();
        var last = Volatile.Read(ref _lastShedLogTicks);
        // One caller per 10 s wins the exchange and logs (several broker connections shed at once).
        if (now - last > TicksPer10Seconds && Interlocked.CompareExchange(ref _lastShedLogTicks, now, last) == last)
        {
            _logger.LogWarning("inference queue full: shed {Count} QoS 0 frames in the last 10 s (no feedback, no window row); the edge is over capacity: add an edge or lower the device count",
                Interlocked.Exchange(ref _shedSinceLog, 0));
        }
    }

    private bool AcceptSequence(TelemetryFrame frame, DeviceState device, long endMicros)
    {
        device.LastSeenTicks = Stopwatch.GetTimestamp();
        var seq = frame.Sequence;
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

    private void Identify(DeviceState device, string patientId, string siteId, string bed)
    {
        if (!string.Equals(device.PatientId, patientId, StringComparison.Ordinal))
        {
            device.PatientId = patientId;
            device.PatientPseudonym = _devices.Pseudonymizer.Pseudonymise("patient", patientId);
        }

        if (!string.Equals(device.SiteId, siteId, StringComparison.Ordinal))
        {
            (device.SiteId, device.AlertsTopic) = _devices.Site(siteId);
        }

        if (!string.Equals(device.Bed, bed, StringComparison.Ordinal))
        {
            device.Bed = bed;
        }
    }

    private void Refuse(TelemetryFrame frame, ReadOnlySpan<char> deviceIdSpan, DeviceState? known, string reason)
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

        var payload = FeedbackWriter.Error(frame.Sequence, reason);
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
