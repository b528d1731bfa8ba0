using System.Text.Json;
using EdgeHub.Contracts;
using EdgeHub.Edge.Alerts;
using EdgeHub.Edge.Status;
using EdgeHub.Edge.Store;
using EdgeHub.Mqtt;
using Microsoft.Extensions.Logging;

namespace EdgeHub.Edge.Ingest;

/// <summary>
/// Clinician answers on the site label topics: "confirm" labels the alert's windows with the alert's class, "reject" with
/// normal (a false alarm), "relabel" with the given class, "acknowledge" labels nothing. The join runs on the store writer:
/// unsealed windows get the label in place, windows already sealed get label rows in the next delta. A label message is
/// accepted (the broker's PUBACK to the clinician's client) only once the store writer has committed its join, so an edge
/// killed right after cannot lose a label whose sender saw it acknowledged.
/// </summary>
public sealed class LabelIngest
{
    private readonly StoreWriter _store;
    private readonly EdgeMetrics _metrics;
    private readonly ILogger _logger;

    /// <summary>Creates the handler.</summary>
    public LabelIngest(StoreWriter store, EdgeMetrics metrics, ILogger logger)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _metrics = metrics ?? throw new ArgumentNullException(nameof(metrics));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    private long _modelLabels;
    private long _modelOverrides;

    /// <summary>Share of labelled model alerts that clinicians rejected or relabelled, or null before any.</summary>
    public double? OverrideRate
    {
        get
        {
            var labels = Interlocked.Read(ref _modelLabels);
            return labels == 0 ? null : (double)Interlocked.Read(ref _modelOverrides) / labels;
        }
    }

    /// <summary>Model alerts clinicians answered (confirm, reject, relabel) since start.</summary>
    public long ModelLabels => Interlocked.Read(ref _modelLabels);

    /// <summary>Of <see cref="ModelLabels"/>, those rejected or relabelled.</summary>
    public long ModelOverrides => Interlocked.Read(ref _modelOverrides);

    /// <summary>Raised (on the store writer thread) after a label was joined: (alert id, windows labelled).</summary>
    public event Action<string, int>? Applied;

    /// <summary>Handles one label message from the device client; completes once the label is committed.</summary>
    public ValueTask OnLabelAsync(MqttApplicationMessage message, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(message);
        return OnLabel(message.Topic, message.Payload.Span);
    }

    /// <summary>Handles one label message from the embedded broker; completes once the label is committed.</summary>
    public ValueTask OnLabelAsync(LocalMessage message, CancellationToken ct) => OnLabel(message.Topic, message.Payload.Span);

    private ValueTask OnLabel(string topic, ReadOnlySpan<byte> payload)
    {
        LabelMessage? label;
        try
        {
            label = JsonSerializer.Deserialize(payload, ContractsJson.Default.LabelMessage);
        }
        catch (JsonException ex)
        {
            _logger.LogWarning("label on {Topic} ignored: not a valid label message ({Message})", topic, ex.Message);
            return ValueTask.CompletedTask;
        }

        return label is null ? ValueTask.CompletedTask : new ValueTask(SubmitAsync(label));
    }

    /// <summary>Validates a label and queues its join (the clinician page calls this directly).</summary>
    public void Submit(LabelMessage label) => _ = SubmitAsync(label);

    /// <summary>
    /// Validates a label and queues its join; the task completes once the store writer has committed it (at once for a
    /// label that records nothing or is refused, faulted when the join failed).
    /// </summary>
    public Task SubmitAsync(LabelMessage label)
    {
        ArgumentNullException.ThrowIfNull(label);
        var action = label.Action.ToLowerInvariant();
        if (action == "acknowledge")
        {
            return Task.CompletedTask;
        }

        RhythmClass? relabel = null;
        if (action == "relabel")
        {
            if (!RhythmClasses.TryParse(label.Label, out var c))
            {
                _logger.LogWarning("relabel of alert {AlertId} ignored: '{Label}' is not one of {Names}", label.AlertId, label.Label, string.Join(", ", RhythmClasses.Names));
                return Task.CompletedTask;
            }

            relabel = c;
        }
        else if (action is not ("confirm" or "reject"))
        {
            _logger.LogWarning("label for alert {AlertId} ignored: action '{Action}' is not confirm, reject, relabel or acknowledge", label.AlertId, label.Action);
            return Task.CompletedTask;
        }

        var at = label.At == default ? DateTimeOffset.UtcNow : label.At;
        var alertId = label.AlertId;
        var committed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _store.Post(store =>
        {
            try
            {
                Apply(store, alertId, action, relabel, at);
                committed.TrySetResult();
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                committed.TrySetException(ex);
                throw; // the writer logs it
            }
        });
        return committed.Task;
    }

    private void Apply(EdgeStore store, string alertId, string action, RhythmClass? relabel, DateTimeOffset at)
    {
        var kindName = store.AlertKindOf(alertId);
        if (kindName is null)
        {
            _metrics.Label(matched: false);
            _logger.LogWarning("label '{Action}' for alert {AlertId} ignored: this edge has no record of that alert", action, alertId);
            return;
        }

        RhythmClass? cls = action switch
        {
            "reject" => RhythmClass.Normal,
            "relabel" => relabel,
            _ => AlertKinds.Find(kindName)?.LabelClass,
        };
        if (cls is null)
        {
            // e.g. confirming an asystole or SpO2 alert: true, but no rhythm class for the model to learn.
            _logger.LogInformation("label '{Action}' for {Kind} alert {AlertId} recorded no class: {Kind} is not a model class", action, kindName, alertId, kindName);
            return;
        }

        var windows = store.ApplyLabel(alertId, (int)cls.Value, action, at);
        _metrics.Label(matched: windows > 0);
        _logger.LogInformation("label '{Action}' for {Kind} alert {AlertId}: {Windows} windows labelled {Class}", action, kindName, alertId, windows, RhythmClasses.Name(cls.Value));
        if (AlertKinds.Find(kindName)?.Source == "model")
        {
            Interlocked.Increment(ref _modelLabels);
            if (action != "confirm")
            {
                Interlocked.Increment(ref _modelOverrides);
            }
        }

        Applied?.Invoke(alertId, windows);
    }
}
