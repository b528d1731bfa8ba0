using System.Text.Json;
using EdgeHub.Contracts;
using EdgeHub.Mqtt;
using Microsoft.Extensions.Logging;

namespace EdgeHub.Edge.Hosting;

public sealed partial class EdgeAgent
{
    private readonly Lock _overrideLock = new();
    private double? _lastPsi;
    private int _disposed;
    private string? _overrideModel;
    private long _labelsAtSwap;
    private long _overridesAtSwap;

    /// <summary>The status this agent reports now.</summary>
    public EdgeStatus BuildStatus(bool online)
    {
        var models = Models;
        long pending = 0;
        var queue = 0;
        if (_store is not null && online)
        {
            pending = _store.PendingRows;
            queue = _store.UnackedCount;
        }

        var slots = models?.Slots; // one snapshot: a swap between two reads would report a mix of before and after
        var overrides = OverridesOfServingModel(slots?.Current);
        return new EdgeStatus
        {
            EdgeId = Options.EdgeId,
            Region = Options.Region,
            Online = online,
            ModelVersion = slots?.Current,
            CandidateVersion = slots?.Candidate,
            ShadowAgreement = slots?.Shadow?.Agreement,
            LastModelError = models?.LastError,
            LastModelErrorVersion = models?.LastErrorVersion,
            LastModelErrorAt = models?.LastErrorAt,
            ShadowVersion = slots?.Shadow?.Version,
            ShadowWindows = slots?.Shadow?.Windows,
            QueueDepth = queue,
            PendingRows = pending,
            Devices = Devices?.Count ?? 0,
            FramesPerSecond = Math.Round(Metrics.SampleFramesPerSecond(), 1),
            DriftPsi = _lastPsi is { } psi ? Math.Round(psi, 4) : null,
            OverrideRate = OverrideRate(),
            OverrideModelVersion = overrides.Model,
            Overrides = overrides.Model is null ? null : overrides.Overrides,
            OverrideSamples = overrides.Model is null ? null : overrides.Samples,
            At = DateTimeOffset.UtcNow,
        };
    }

    private double? OverrideRate() => _labels?.OverrideRate is { } rate ? Math.Round(rate, 4) : null;

    /// <summary>
    /// Clinician answers to model alerts since the serving model last changed: the hub's override criterion judges one model
    /// by them, with the sample size, rather than by a rate that mixes in the previous model's alerts.
    /// </summary>
    private (string? Model, int Overrides, int Samples) OverridesOfServingModel(string? serving)
    {
        var labels = _labels?.ModelLabels ?? 0;
        var overrides = _labels?.ModelOverrides ?? 0;
        lock (_overrideLock)
        {
            if (serving != _overrideModel)
            {
                _overrideModel = serving;
                _labelsAtSwap = labels;
                _overridesAtSwap = overrides;
            }

            return (serving, (int)Math.Min(int.MaxValue, overrides - _overridesAtSwap), (int)Math.Min(int.MaxValue, labels - _labelsAtSwap));
        }
    }

    private async Task PublishStatusAsync(bool online, CancellationToken ct)
    {
        var client = _hubClient;
        if (client is null || !client.IsConnected)
        {
            return;
        }

        try
        {
            var payload = JsonSerializer.SerializeToUtf8Bytes(BuildStatus(online), ContractsJson.Default.EdgeStatus);
            await client.PublishAsync(new MqttApplicationMessage
            {
                Topic = Topics.Status(Options.EdgeId),
                Payload = payload,
                Qos = MqttQos.AtLeastOnce,
                Retain = true,
                ContentType = ContentTypes.Json,
            }, ct);
        }
        catch (Exception ex) when (ex is MqttException or OperationCanceledException or InvalidOperationException or ObjectDisposedException)
        {
            _logger.LogDebug("status not published: {Message}", ex.Message);
        }
    }

    private async Task StatusLoopAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Options.StatusIntervalSeconds));
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                _lastPsi = Drift.TakeMaxPsi() ?? _lastPsi;
                Devices.Sweep();
                await PublishStatusAsync(online: true, ct);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Stops in order: no more telemetry, drain inference, commit the store, mark the edge offline, close.</summary>
    public async ValueTask DisposeAsync()
    {
        // The host stops the agent (hosted service) and then disposes the container, which disposes it again.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync();
        _localTelemetry?.Dispose();
        _localLabels?.Dispose();
        if (_deviceClient is not null)
        {
            _deviceClient.MessageReceived = null;
            await SafeAsync(_deviceClient.DisconnectAsync());
        }

        if (_engine is not null)
        {
            await _engine.DisposeAsync();
        }

        if (_writer is not null)
        {
            await _writer.DisposeAsync();
        }

        if (_statusLoop is not null)
        {
            await _statusLoop;
        }

        if (_hubConnect is not null)
        {
            await _hubConnect;
        }

        if (_uploader is not null)
        {
            await _uploader.DisposeAsync();
        }

        if (_hubClient is not null)
        {
            await PublishStatusAsync(online: false, CancellationToken.None);
            await SafeAsync(_hubClient.DisconnectAsync());
            await _hubClient.DisposeAsync();
        }

        if (_deviceClient is not null)
        {
            await _deviceClient.DisposeAsync();
        }

        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }

        Models?.Dispose();
        _store?.Dispose();
        _http.Dispose();
        _stop.Dispose();
    }

    private async Task SafeAsync(Task task)
    {
        try
        {
            await task.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _logger.LogDebug("during shutdown: {Message}", ex.Message);
        }
    }
}
