using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace EdgeHub.Hub.Observability;

/// <summary>The hub's instruments (System.Diagnostics.Metrics), exported in Prometheus text format at /metrics.</summary>
public sealed class HubMetrics : IDisposable
{
    /// <summary>Name of the hub's meter.</summary>
    public const string MeterName = "EdgeHub.Hub";

    private readonly Meter _meter;

    /// <summary>The meter (for the exporter).</summary>
    public Meter Meter => _meter;
    private readonly Counter<long> _deltas;
    private readonly Counter<long> _bytes;
    private readonly Counter<long> _rows;
    private readonly Histogram<double> _ingestSeconds;
    private readonly Counter<long> _statusMessages;
    private readonly Counter<long> _assignments;
    private readonly Counter<long> _retrains;

    /// <summary>Creates the instruments; <paramref name="mqttConnected"/> reports the broker connection for a gauge.</summary>
    public HubMetrics(Func<bool>? mqttConnected = null)
    {
        _meter = new Meter(MeterName);
        _deltas = _meter.CreateCounter<long>("ehub_hub_deltas", description: "Deltas handled, by transport and result (committed, duplicate, held, rejected).");
        _bytes = _meter.CreateCounter<long>("ehub_hub_delta_bytes", unit: "By", description: "Bytes of committed deltas.");
        _rows = _meter.CreateCounter<long>("ehub_hub_rows_committed", description: "Rows committed into regional datasets.");
        _ingestSeconds = _meter.CreateHistogram<double>("ehub_hub_ingest_duration", unit: "s", description: "Validation + commit time of one delta.");
        _statusMessages = _meter.CreateCounter<long>("ehub_hub_status_messages", description: "Edge status messages received.");
        _assignments = _meter.CreateCounter<long>("ehub_hub_model_assignments", description: "Model assignments published.");
        _retrains = _meter.CreateCounter<long>("ehub_hub_retrains", description: "Retrains run, by mode and outcome.");
        if (mqttConnected is not null)
        {
            _meter.CreateObservableGauge("ehub_hub_mqtt_connected", () => mqttConnected() ? 1 : 0, description: "1 when the hub's MQTT client is connected.");
        }
    }

    /// <summary>Counts one delta outcome.</summary>
    public void Delta(string transport, string result, long bytes, long rows, double seconds)
    {
        var tags = new TagList { { "transport", transport }, { "result", result } };
        _deltas.Add(1, tags);
        _ingestSeconds.Record(seconds, tags);
        if (result == "committed")
        {
            _bytes.Add(bytes);
            _rows.Add(rows);
        }
    }

    /// <summary>Counts a status message.</summary>
    public void StatusMessage() => _statusMessages.Add(1);

    /// <summary>Counts a published model assignment.</summary>
    public void Assignment(string scope) => _assignments.Add(1, new KeyValuePair<string, object?>("scope", scope));

    /// <summary>Counts a retrain.</summary>
    public void Retrain(string mode, string outcome) =>
        _retrains.Add(1, new KeyValuePair<string, object?>("mode", mode), new KeyValuePair<string, object?>("outcome", outcome));

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();
}
