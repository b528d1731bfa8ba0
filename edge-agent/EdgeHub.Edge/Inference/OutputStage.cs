using System.Text.Json;
using EdgeHub.Contracts;
using EdgeHub.Edge.Alerts;
using EdgeHub.Edge.Ingest;
using EdgeHub.Edge.Status;
using EdgeHub.Edge.Store;
using EdgeHub.Mqtt;

namespace EdgeHub.Edge.Inference;

/// <summary>
/// What happens to each processed frame, on the inference thread, in arrival order: the safety net and the model's
/// alert logic (hysteresis, one id per episode), alert messages to the site (QoS 1), feedback to the device (QoS 0),
/// and the window row (features + prediction + alert id, pseudonymised ids) to the store writer.
/// </summary>
public sealed class OutputStage
{
    private static readonly int LeadOffFeature = FeatureSchema.IndexOf("lead_off_fraction");
    private static readonly int QualityFeature = FeatureSchema.IndexOf("signal_quality");
    private readonly EdgeOptions _options;
    private readonly IEdgePublisher _publisher;
    private readonly StoreWriter? _store;
    private readonly AlertFeed _feed;
    private readonly DriftMonitor _drift;
    private readonly EdgeMetrics _metrics;
    private readonly FeedbackWriter _feedback = new();
    private readonly AlertEvent[] _events = new AlertEvent[AlertKinds.Count];

    /// <summary>Creates the stage (<paramref name="store"/> null: nothing is stored, e.g. a pure latency benchmark).</summary>
    public OutputStage(EdgeOptions options, IEdgePublisher publisher, StoreWriter? store, AlertFeed feed, DriftMonitor drift, EdgeMetrics metrics)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _publisher = publisher ?? throw new ArgumentNullException(nameof(publisher));
        _store = store;
        _feed = feed ?? throw new ArgumentNullException(nameof(feed));
        _drift = drift ?? throw new ArgumentNullException(nameof(drift));
        _metrics = metrics ?? throw new ArgumentNullException(nameof(metrics));
    }

    /// <summary>Completes one frame; <paramref name="probabilities"/> is empty when no model ran on it.</summary>
    public void Complete(WorkItem item, ReadOnlySpan<float> probabilities, string? modelVersion)
    {
        ArgumentNullException.ThrowIfNull(item);
        var device = item.Device;
        var tracker = device.Alerts;
        var now = item.FrameEndMicros;
        var n = SafetyNet.Evaluate(tracker, item.Safety, now, _events);
        var cls = -1;
        var p = 0f;
        if (!probabilities.IsEmpty)
        {
            // A window that is mostly lead-off or noise says nothing about the rhythm: it neither raises nor clears model alerts.
            if (item.Features[LeadOffFeature] <= 0.2f && item.Features[QualityFeature] >= 0.5f && !item.Safety.LeadOff)
            {
                n += SafetyNet.EvaluateModel(tracker, probabilities, _options.Alerts, now, _events.AsSpan(n));
            }

            cls = InferenceEngine.ArgMax(probabilities);
            p = probabilities[cls];
            device.LastClass = cls;
            device.LastProbability = p;
        }

        for (var i = 0; i < n; i++)
        {
            PublishAlert(device, _events[i], probabilities, modelVersion, now);
        }

        var alertId = tracker.MostSevereAlertId;
        var payload = _feedback.Write(item.Sequence, item.Safety.HeartRate, cls, p, alertId is not null, alertId, modelVersion);
        _publisher.Publish(device.FeedbackTopic, payload, MqttQos.AtMostOnce, ContentTypes.Json);
        _metrics.Feedback(item.ReceivedTicks);

        if (item.HasWindow)
        {
            _drift.Add(item.Features);
            if (_store is not null)
            {
                var record = WindowRecordPool.Rent();
                record.SiteId = device.SiteId;
                record.DevicePseudonym = device.DevicePseudonym;
                record.PatientPseudonym = device.PatientPseudonym;
                record.WindowEndMicros = now;
                record.Log = device.Windows;
                record.RecordedAtMicros = TelemetryIngest.UnixMicrosNow();
                item.Features.CopyTo(record.Features, 0);
                if (cls >= 0)
                {
                    record.PredictedClass = cls;
                    record.ModelVersion = modelVersion;
                    probabilities.CopyTo(record.Probabilities);
                }

                record.AlertId = alertId;
                tracker.CopyWindowAlertIds(record.AlertIds);

                _store.Enqueue(record);
            }
        }
    }

    private void PublishAlert(DeviceState device, in AlertEvent e, ReadOnlySpan<float> probabilities, string? modelVersion, long nowMicros)
    {
        var raised = e.Transition == AlertTransition.Raised;
        var isModel = e.Kind.Source == "model";
        var message = new AlertMessage
        {
            AlertId = e.AlertId,
            State = e.Transition switch
            {
                AlertTransition.Raised => "raised",
                AlertTransition.Cleared => "cleared",
                _ => "updated",
            },
            Kind = e.Kind.Name,
            Source = e.Kind.Source,
            Severity = e.Severity,
            SiteId = device.SiteId,
            DeviceId = device.DeviceId,
            PatientPseudonym = device.PatientPseudonym,
            Bed = device.Bed,
            StartedAt = FromMicros(e.StartedMicros),
            UpdatedAt = FromMicros(nowMicros),
            Probability = isModel && !probabilities.IsEmpty ? probabilities[e.Kind.Index + 1] : null,
            HeartRate = device.HeartRate is { } hr ? Math.Round(hr, 1) : null,
            SpO2 = device.SpO2,
            ModelVersion = isModel ? modelVersion : null,
            Strip = raised ? device.CopyStrip(_options.Alerts.StripSeconds) : null,
        };
        if (raised)
        {
            _metrics.AlertRaised();
            if (_store is not null)
            {
                // Queued before the alert is published: a clinician's answer (queued behind it) must find the alert recorded.
                // The windows that led to the raise were stored before the alert existed: tag them too.
                var id = e.AlertId;
                var kind = e.Kind;
                var site = device.SiteId;
                var pseudonym = device.DevicePseudonym;
                var from = e.FirstAboveMicros;
                var log = device.Windows;
                _store.Post(s =>
                {
                    s.RecordAlert(id, kind.Name, kind.Source, site, pseudonym, from);
                    s.AssignAlert(id, pseudonym, from, nowMicros, log);
                });
            }
        }
        else if (e.Transition == AlertTransition.Cleared)
        {
            _metrics.AlertCleared();
            var id = e.AlertId;
            _store?.Post(s => s.ClearAlert(id, nowMicros));
        }

        _publisher.Publish(device.AlertsTopic, JsonSerializer.SerializeToUtf8Bytes(message, ContractsJson.Default.AlertMessage), MqttQos.AtLeastOnce, ContentTypes.Json);
        _feed.Add(message);
    }

    private static DateTimeOffset FromMicros(long micros) => DateTimeOffset.UnixEpoch.AddTicks(micros * 10);
}
