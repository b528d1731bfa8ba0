using EdgeHub.Mqtt;

namespace EdgeHub.Edge.Ingest;

/// <summary>Where the pipeline sends feedback and alerts (the device-side MQTT client; a recorder in unit tests).</summary>
public interface IEdgePublisher
{
    /// <summary>Publishes without waiting (QoS 1 completion is observed by the implementation; failures are logged).</summary>
    void Publish(string topic, ReadOnlyMemory<byte> payload, MqttQos qos, string contentType);
}

/// <summary>Publishes through an <see cref="MqttClient"/>; failures are logged at most once per 10 seconds.</summary>
public sealed class MqttEdgePublisher : IEdgePublisher
{
    private readonly MqttClient _client;
    private readonly PublishFailures _failures;

    /// <summary>Creates the publisher.</summary>
    public MqttEdgePublisher(MqttClient client, Microsoft.Extensions.Logging.ILogger logger)
    {
        _client = client ?? throw new ArgumentNullException(nameof(client));
        _failures = new PublishFailures(logger ?? throw new ArgumentNullException(nameof(logger)));
    }

    /// <summary>Publications that failed (broker down, queue full).</summary>
    public long Failures => _failures.Count;

    /// <inheritdoc />
    public void Publish(string topic, ReadOnlyMemory<byte> payload, MqttQos qos, string contentType)
    {
        try
        {
            // The client may still hold the message after this returns: it gets its own copy.
            var task = _client.PublishAsync(new MqttApplicationMessage { Topic = topic, Payload = payload.ToArray(), Qos = qos, ContentType = contentType }, CancellationToken.None);
            if (task.IsCompletedSuccessfully)
            {
                return;
            }

            _ = Observe(task, topic);
        }
        catch (Exception ex) when (ex is MqttException or InvalidOperationException or ObjectDisposedException)
        {
            Fail(topic, ex);
        }
    }

    private async Task Observe(ValueTask task, string topic)
    {
        try
        {
            await task;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Fail(topic, ex);
        }
    }

    private void Fail(string topic, Exception ex) => _failures.Record(topic, ex);
}

/// <summary>
/// Publishes straight into the embedded broker's routing (<c>MqttBroker.Publish</c>): feedback and alerts reach the
/// device connections without the loopback client's encode, socket hop and the broker's decode. Used whenever the device
/// broker is embedded; routing errors are counted and logged at most once per 10 seconds.
/// </summary>
public sealed class BrokerEdgePublisher : IEdgePublisher
{
    private readonly MqttBroker _broker;
    private readonly PublishFailures _failures;

    /// <summary>Creates the publisher.</summary>
    public BrokerEdgePublisher(MqttBroker broker, Microsoft.Extensions.Logging.ILogger logger)
    {
        _broker = broker ?? throw new ArgumentNullException(nameof(broker));
        _failures = new PublishFailures(logger ?? throw new ArgumentNullException(nameof(logger)));
    }

    /// <summary>Publications that failed.</summary>
    public long Failures => _failures.Count;

    /// <inheritdoc />
    public void Publish(string topic, ReadOnlyMemory<byte> payload, MqttQos qos, string contentType)
    {
        try
        {
            // Copied into the broker's pooled payload before this returns: the caller's buffer is free again.
            _broker.Publish(topic, payload, qos, contentType);
        }
        catch (Exception ex) when (ex is MqttException or InvalidOperationException or ObjectDisposedException or ArgumentException)
        {
            _failures.Record(topic, ex);
        }
    }
}

/// <summary>Failed publications of a publisher: counted, and logged at most once per 10 seconds.</summary>
internal sealed class PublishFailures(Microsoft.Extensions.Logging.ILogger logger)
{
    private long _lastErrorTicks;
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    public void Record(string topic, Exception ex)
    {
        Interlocked.Increment(ref _count);
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastErrorTicks);
        if (now - last > 10_000 && Interlocked.CompareExchange(ref _lastErrorTicks, now, last) == last)
        {
            Microsoft.Extensions.Logging.LoggerExtensions.LogWarning(logger, "publish to {Topic} failed: {Message} (further failures within 10 s are counted, not logged)", topic, ex.Message);
        }
    }
}
