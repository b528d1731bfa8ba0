using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using EdgeHub.Contracts;
using EdgeHub.Mqtt;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeHub.Simulator;

/// <summary>
/// A clinician who knows the ground truth: subscribes to every site's alerts, and a fixed delay after each raised alert
/// publishes a <see cref="LabelMessage"/> (confirm, reject or relabel; see <see cref="AlertJudge"/>) on the site's labels
/// topic, so the edge gets labels and the learning loop closes in a demo. Alerts about devices outside the run are ignored.
/// </summary>
public sealed class ClinicianBot : IAsyncDisposable
{
    private readonly GroundTruth _truth;
    private readonly ClinicianBotOptions _options;
    private readonly ILogger _logger;
    private readonly MqttClient _client;
    private readonly Channel<(AlertMessage Alert, DateTimeOffset Due)> _queue = Channel.CreateUnbounded<(AlertMessage, DateTimeOffset)>(
        new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<string, byte> _seen = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<BotAnswer> _answers = new();
    private readonly CancellationTokenSource _stop = new();
    private Task? _worker;
    private long _answered, _confirmed, _rejected, _relabelled, _ignored, _malformed;

    /// <summary>Creates the bot; <paramref name="broker"/>'s client id is replaced by <see cref="ClinicianBotOptions.ClientId"/> when empty.</summary>
    public ClinicianBot(MqttClientOptions broker, GroundTruth truth, ClinicianBotOptions o, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(broker);
        _truth = truth ?? throw new ArgumentNullException(nameof(truth));
        _options = o ?? throw new ArgumentNullException(nameof(o));
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("EdgeHub.Simulator.ClinicianBot");
        if (string.IsNullOrEmpty(broker.ClientId))
        {
            broker.ClientId = o.ClientId;
        }

        _client = new MqttClient(broker, _logger) { MessageReceived = OnAlertAsync };
    }

    /// <summary>Alerts answered.</summary>
    public long Answered => Interlocked.Read(ref _answered);
    /// <summary>Answers that confirmed.</summary>
    public long Confirmed => Interlocked.Read(ref _confirmed);
    /// <summary>Answers that rejected (false alarms).</summary>
    public long Rejected => Interlocked.Read(ref _rejected);
    /// <summary>Answers that relabelled.</summary>
    public long Relabelled => Interlocked.Read(ref _relabelled);
    /// <summary>Alerts about devices that are not part of the run.</summary>
    public long Ignored => Interlocked.Read(ref _ignored);
    /// <summary>Alert payloads that were not valid JSON alerts.</summary>
    public long Malformed => Interlocked.Read(ref _malformed);

    /// <summary>Every answer so far, in order.</summary>
    public IReadOnlyCollection<BotAnswer> Answers => _answers;

    /// <summary>Connects, subscribes to <see cref="Topics.AllAlerts"/> and starts answering.</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        await _client.ConnectAsync(ct).ConfigureAwait(false);
        await _client.SubscribeAsync(Topics.AllAlerts, MqttQos.AtLeastOnce, ct).ConfigureAwait(false);
        _worker = Task.Run(() => AnswerLoopAsync(_stop.Token), CancellationToken.None);
    }

    private ValueTask OnAlertAsync(MqttApplicationMessage message, CancellationToken ct)
    {
        AlertMessage? alert;
        try
        {
            alert = JsonSerializer.Deserialize(message.Payload.Span, ContractsJson.Default.AlertMessage);
        }
        catch (JsonException ex)
        {
            Interlocked.Increment(ref _malformed);
            Log.BotError(_logger, $"alert on {message.Topic} is not valid JSON: {ex.Message}");
            return ValueTask.CompletedTask;
        }

        if (alert is null || alert.State != "raised" || !_seen.TryAdd(alert.AlertId, 0))
        {
            return ValueTask.CompletedTask;
        }

        if (!_truth.Contains(alert.DeviceId))
        {
            Interlocked.Increment(ref _ignored);
            return ValueTask.CompletedTask;
        }

        _queue.Writer.TryWrite((alert, DateTimeOffset.UtcNow + _options.Delay));
        return ValueTask.CompletedTask;
    }

    private async Task AnswerLoopAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var (alert, due) in _queue.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                var wait = due - DateTimeOffset.UtcNow;
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, ct).ConfigureAwait(false);
                }

                await AnswerAsync(alert, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task AnswerAsync(AlertMessage alert, CancellationToken ct)
    {
        var answer = AlertJudge.Judge(alert, _truth, _options.Lookback, _options.Relabel);
        if (answer is null)
        {
            return;
        }

        var label = new LabelMessage
        {
            AlertId = alert.AlertId,
            Action = answer.Action,
            Label = answer.Label,
            Clinician = _options.Clinician,
            At = DateTimeOffset.UtcNow,
        };
        var payload = JsonSerializer.SerializeToUtf8Bytes(label, ContractsJson.Default.LabelMessage);
        try
        {
            await _client.PublishAsync(Topics.Labels(alert.SiteId), payload, MqttQos.AtLeastOnce, retain: false, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is MqttException or InvalidOperationException or IOException)
        {
            Log.BotError(_logger, $"could not publish the label for alert {alert.AlertId}: {ex.Message}");
            return;
        }

        _answers.Enqueue(answer);
        Interlocked.Increment(ref _answered);
        switch (answer.Action)
        {
            case "confirm":
                Interlocked.Increment(ref _confirmed);
                break;
            case "reject":
                Interlocked.Increment(ref _rejected);
                break;
            default:
                Interlocked.Increment(ref _relabelled);
                break;
        }

        Log.Answered(_logger, answer.Action, alert.AlertId, alert.Kind, alert.DeviceId, answer.Label ?? "-");
    }

    /// <summary>Stops answering and disconnects.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_worker is not null)
        {
            await _worker.ConfigureAwait(false);
        }

        await _client.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
