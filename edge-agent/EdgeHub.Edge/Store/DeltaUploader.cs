using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using EdgeHub.Contracts;
using EdgeHub.Edge.Status;
using EdgeHub.Mqtt;
using Microsoft.Extensions.Logging;

namespace EdgeHub.Edge.Store;

/// <summary>
/// Sends sealed deltas to the hub in sequence order — QoS 1 on <see cref="Topics.Delta"/> with the manifest as user
/// properties (<see cref="DeltaProperties"/>) — and resends each with exponential backoff until a <see cref="DeltaAck"/>
/// ("committed" or "duplicate") arrives on <see cref="Topics.Acks"/>. The bytes sent are always the frozen bytes from the
/// store, so a resend (also after a restart) is byte-identical and the hub's per-edge txn version de-duplicates it.
/// </summary>
public sealed class DeltaUploader : IAsyncDisposable
{
    private readonly EdgeStore _store;
    private readonly MqttClient _hub;
    private readonly EdgeOptions _options;
    private readonly EdgeMetrics _metrics;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<long, SendState> _sent = new();
    private readonly SemaphoreSlim _signal = new(0, int.MaxValue);
    private readonly CancellationTokenSource _stop = new();
    private readonly string _topic;
    private Task? _loop;

    /// <summary>Creates the uploader (call <see cref="Start"/>).</summary>
    public DeltaUploader(EdgeStore store, MqttClient hub, EdgeOptions options, EdgeMetrics metrics, ILogger logger)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _hub = hub ?? throw new ArgumentNullException(nameof(hub));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _metrics = metrics ?? throw new ArgumentNullException(nameof(metrics));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _topic = Topics.Delta(options.Region, options.EdgeId);
    }

    /// <summary>Starts sending.</summary>
    public void Start() => _loop ??= Task.Run(() => RunAsync(_stop.Token));

    /// <summary>A delta was sealed, or the hub connection came back: look again now.</summary>
    public void Notify(bool resendAll = false)
    {
        if (resendAll)
        {
            _sent.Clear();
        }

        _signal.Release();
    }

    /// <summary>Handles a message on this edge's ack topic.</summary>
    public ValueTask OnAckAsync(MqttApplicationMessage message, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(message);
        DeltaAck? ack;
        try
        {
            ack = JsonSerializer.Deserialize(message.Payload.Span, ContractsJson.Default.DeltaAck);
        }
        catch (JsonException ex)
        {
            _logger.LogWarning("delta ack ignored: not valid JSON ({Message})", ex.Message);
            return ValueTask.CompletedTask;
        }

        if (ack is null)
        {
            return ValueTask.CompletedTask;
        }

        var status = ack.Status.ToLowerInvariant();
        var known = _store.RecordAck(ack.Sequence, ack.DeltaId, status, ack.DatasetVersion, ack.Reason);
        switch (status)
        {
            case "committed" or "duplicate":
                _sent.TryRemove(ack.Sequence, out _);
                if (known)
                {
                    _metrics.DeltaAcked();
                }

                _signal.Release();
                break;
            case "rejected":
                _sent.TryRemove(ack.Sequence, out _);
                if (known)
                {
                    _metrics.DeltaRejected();
                    _logger.LogError("hub rejected delta {DeltaId} (sequence {Sequence}): {Reason}; it will not be resent", ack.DeltaId, ack.Sequence, ack.Reason);
                }

                _signal.Release();
                break;
            default:
                // "held": the hub waits for an earlier sequence; the resend timer covers it.
                _logger.LogDebug("hub holds delta {DeltaId}: {Reason}", ack.DeltaId, ack.Reason);
                break;
        }

        return ValueTask.CompletedTask;
    }

    private async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await _signal.WaitAsync(TimeSpan.FromMilliseconds(500), ct);
                if (!_hub.IsConnected)
                {
                    continue;
                }

                foreach (var delta in _store.Unacked(_options.Sealing.InFlight))
                {
                    var state = _sent.GetOrAdd(delta.Sequence, _ => new SendState());
                    if (state.Attempts > 0 && Stopwatch.GetElapsedTime(state.LastSentTicks) < Backoff(state.Attempts))
                    {
                        continue;
                    }

                    await SendAsync(delta, state, ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                _logger.LogWarning("delta upload paused: {Message}; retrying", ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task SendAsync(SealedDelta delta, SendState state, CancellationToken ct)
    {
        var bytes = _store.ReadDeltaBytes(delta.Sequence);
        if (bytes is null)
        {
            return;
        }

        state.Attempts++;
        state.LastSentTicks = Stopwatch.GetTimestamp();
        _store.CountAttempt(delta.Sequence);
        var message = new MqttApplicationMessage
        {
            Topic = _topic,
            Payload = bytes,
            Qos = MqttQos.AtLeastOnce,
            ContentType = ContentTypes.Parquet,
            UserProperties =
            [
                new(DeltaProperties.DeltaId, delta.DeltaId),
                new(DeltaProperties.Sequence, delta.Sequence.ToString(CultureInfo.InvariantCulture)),
                new(DeltaProperties.Rows, delta.Rows.ToString(CultureInfo.InvariantCulture)),
                new(DeltaProperties.Sha256, delta.Sha256),
                new(DeltaProperties.SchemaId, DeltaSchema.Id),
            ],
        };
        await _hub.PublishAsync(message, ct);
        _metrics.DeltaSent();
        if (state.Attempts > 1)
        {
            _logger.LogInformation("resent delta {DeltaId} (attempt {Attempt}): no ack yet", delta.DeltaId, state.Attempts);
        }
    }

    private TimeSpan Backoff(int attempts) =>
        TimeSpan.FromSeconds(Math.Min(_options.Sealing.MaxRetrySeconds, _options.Sealing.RetrySeconds * Math.Pow(2, attempts - 1)));

    /// <summary>Stops sending.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _stop.Dispose();
        _signal.Dispose();
    }

    private sealed class SendState
    {
        public int Attempts;
        public long LastSentTicks;
    }
}
