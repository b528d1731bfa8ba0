using System.Buffers;
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
/// properties (<see cref="DeltaProperties"/>) — and resends them until a <see cref="DeltaAck"/> ("committed" or
/// "duplicate") arrives on <see cref="Topics.Acks"/>. The bytes sent are always the frozen bytes from the store, so a resend
/// (also after a restart) is byte-identical and the hub's per-edge txn version de-duplicates it.
/// <para>
/// Resend policy (bounded for a partitioned edge): only the oldest <c>Sealing:InFlight</c> unacknowledged deltas are ever on
/// the wire. A delta entering that window is sent at once; deltas already sent are resent — oldest first, the whole window
/// once — only when no ack at all has come back for a backoff period, which doubles with every silent round
/// (<c>RetrySeconds</c> up to <c>MaxRetrySeconds</c>) and restarts with any ack. While acks flow nothing is resent, and a
/// resend reads the bytes into a pooled buffer rather than a new multi-MB array.
/// </para>
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
    private long _roundStartTicks = Stopwatch.GetTimestamp();
    private int _silentRounds;

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
            // A new connection: whatever was in flight may be lost with the old one; send the window again now.
            _sent.Clear();
        }

        _signal.Release();
    }

    /// <summary>Resend rounds since the last ack (each waited a backoff period with no ack at all).</summary>
    public int SilentRounds => Volatile.Read(ref _silentRounds);

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
                HubAnswered();
                if (known)
                {
                    _metrics.DeltaAcked();
                }

                _signal.Release();
                break;
            case "rejected":
                _sent.TryRemove(ack.Sequence, out _);
                HubAnswered();
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

                var window = _store.Unacked(_options.Sealing.InFlight);
                var resendDue = Stopwatch.GetElapsedTime(Interlocked.Read(ref _roundStartTicks)) >= Backoff(Volatile.Read(ref _silentRounds) + 1);
                var resent = false;
                var outstanding = false;
                foreach (var delta in window)
                {
                    outstanding |= _sent.ContainsKey(delta.Sequence);
                }

                foreach (var delta in window)
                {
                    if (!_sent.TryGetValue(delta.Sequence, out var state))
                    {
                        state = new SendState();
                        _sent[delta.Sequence] = state;
                        if (!outstanding)
                        {
                            // Nothing was waiting for an ack: the wait for this one starts now, not at the last ack.
                            outstanding = true;
                            resendDue = false;
                            Interlocked.Exchange(ref _roundStartTicks, Stopwatch.GetTimestamp());
                        }
                    }
                    else if (!resendDue)
                    {
                        continue;
                    }
                    else
                    {
                        resent = true;
                    }

                    await SendAsync(delta, state, ct);
                }

                if (resent)
                {
                    Interlocked.Increment(ref _silentRounds);
                    Interlocked.Exchange(ref _roundStartTicks, Stopwatch.GetTimestamp());
                }

                ForgetSettled(window);
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

    /// <summary>The hub answered: it is reachable, so the resend timer starts over (and nothing is resent while acks flow).</summary>
    private void HubAnswered()
    {
        Volatile.Write(ref _silentRounds, 0);
        Interlocked.Exchange(ref _roundStartTicks, Stopwatch.GetTimestamp());
    }

    /// <summary>Drops send state of deltas that left the window without an ack passing here (e.g. settled by a restart's recovery).</summary>
    private void ForgetSettled(IReadOnlyList<SealedDelta> window)
    {
        if (_sent.Count <= window.Count)
        {
            return;
        }

        foreach (var sequence in _sent.Keys)
        {
            var inWindow = false;
            foreach (var d in window)
            {
                inWindow |= d.Sequence == sequence;
            }

            if (!inWindow)
            {
                _sent.TryRemove(sequence, out _);
            }
        }
    }

    private async Task SendAsync(SealedDelta delta, SendState state, CancellationToken ct)
    {
        var bytes = _store.RentDeltaBytes(delta.Sequence, out var length);
        if (bytes is null)
        {
            return;
        }

        try
        {
            await PublishAsync(delta, state, bytes.AsMemory(0, length), ct);
        }
        finally
        {
            // The MQTT client owns a copy of the payload once PublishAsync has registered the packet.
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    private async Task PublishAsync(SealedDelta delta, SendState state, ReadOnlyMemory<byte> bytes, CancellationToken ct)
    {
        state.Attempts++;
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

    private TimeSpan Backoff(int round) =>
        TimeSpan.FromSeconds(Math.Min(_options.Sealing.MaxRetrySeconds, _options.Sealing.RetrySeconds * Math.Pow(2, Math.Min(30, round - 1))));

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
    }
}
