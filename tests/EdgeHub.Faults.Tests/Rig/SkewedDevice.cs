using System.Collections.Concurrent;
using System.Text;
using EdgeHub.Contracts;
using EdgeHub.Mqtt;
using EdgeHub.Simulator;

namespace EdgeHub.Faults.Tests.Rig;

/// <summary>
/// One monitor whose clock is off by a fixed amount: publishes synthetic sinus-rhythm frames of 1 s stamped with its own
/// (skewed) clock, consecutive sequence numbers, as fast as asked (device time, not wall time, is what the edge sees),
/// and collects what the edge answers on its feedback topic.
/// </summary>
public sealed class SkewedDevice : IAsyncDisposable
{
    private readonly MqttClient _client;
    private readonly SyntheticEcg _ecg;
    private readonly TelemetryFrame _frame = new();
    private readonly ConcurrentQueue<string> _feedback = new();
    private DateTimeOffset _deviceTime;
    private uint _sequence;

    private SkewedDevice(string deviceId, int port, int seed)
    {
        DeviceId = deviceId;
        _ecg = new SyntheticEcg(250, seed);
        _frame.PatientId = "P-" + deviceId;
        _frame.SiteId = "ward-f";
        _frame.Bed = "S1";
        _frame.SpO2 = 97;
        _client = new MqttClient(new MqttClientOptions { Port = port, ClientId = "faults-" + deviceId });
        _client.MessageReceived = (m, _) =>
        {
            _feedback.Enqueue(Encoding.UTF8.GetString(m.Payload.Span));
            return ValueTask.CompletedTask;
        };
    }

    /// <summary>The device id.</summary>
    public string DeviceId { get; }

    /// <summary>Feedback messages received (JSON).</summary>
    public IReadOnlyCollection<string> Feedback => _feedback;

    /// <summary>Connects to the edge's device broker and subscribes to the device's feedback.</summary>
    public static async Task<SkewedDevice> ConnectAsync(string deviceId, int port, int seed)
    {
        var device = new SkewedDevice(deviceId, port, seed);
        await device._client.ConnectAsync();
        await device._client.SubscribeAsync(Topics.Feedback(deviceId), MqttQos.AtLeastOnce);
        return device;
    }

    /// <summary>Sets the device clock to the true time plus <paramref name="skew"/>.</summary>
    public void SetClock(TimeSpan skew) => _deviceTime = DateTimeOffset.UtcNow + skew;

    /// <summary>Publishes <paramref name="frames"/> consecutive 1-second frames (QoS 1), the device clock advancing 1 s per frame.</summary>
    public async Task SendAsync(int frames)
    {
        for (var i = 0; i < frames; i++)
        {
            _frame.Sequence = ++_sequence;
            _ecg.Generate(_frame, _deviceTime, 250, episode: null);
            _deviceTime += TimeSpan.FromSeconds(1);
            await _client.PublishAsync(new MqttApplicationMessage
            {
                Topic = Topics.Telemetry(DeviceId),
                Payload = TelemetryCodec.Encode(_frame),
                Qos = MqttQos.AtLeastOnce,
            });
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _client.DisposeAsync();
}
