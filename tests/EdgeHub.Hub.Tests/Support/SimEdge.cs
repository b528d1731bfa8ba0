using System.Collections.Concurrent;
using System.Text.Json;
using EdgeHub.Contracts;
using EdgeHub.Mqtt;
using EdgeHub.Testing;

namespace EdgeHub.Hub.Tests.Support;

/// <summary>A simulated edge on our MQTT client: publishes deltas with their manifest properties and collects acks.</summary>
public sealed class SimEdge : IAsyncDisposable
{
    private readonly MqttClient _client;

    private SimEdge(string edgeId, string region, MqttClient client)
    {
        EdgeId = edgeId;
        Region = region;
        _client = client;
    }

    public string EdgeId { get; }

    public string Region { get; }

    /// <summary>Latest ack per sequence.</summary>
    public ConcurrentDictionary<long, DeltaAck> Acks { get; } = new();

    /// <summary>Every ack in arrival order.</summary>
    public ConcurrentQueue<DeltaAck> AckLog { get; } = new();

    public static async Task<SimEdge> ConnectAsync(string edgeId, string region, int port, string host = "127.0.0.1")
    {
        var client = new MqttClient(new MqttClientOptions { Host = host, Port = port, ClientId = "sim-" + edgeId, AutoReconnect = true });
        var edge = new SimEdge(edgeId, region, client);
        client.MessageReceived = (m, _) =>
        {
            var ack = JsonSerializer.Deserialize(m.Payload.Span, ContractsJson.Default.DeltaAck)!;
            edge.AckLog.Enqueue(ack);
            edge.Acks.AddOrUpdate(ack.Sequence, ack, (_, old) => old.Status is "committed" or "duplicate" ? old : ack);
            return ValueTask.CompletedTask;
        };
        await client.ConnectAsync();
        await client.SubscribeAsync(Topics.Acks(edgeId), MqttQos.AtLeastOnce);
        return edge;
    }

    /// <summary>Publishes a delta (QoS 1) to <paramref name="region"/> (default: the edge's own).</summary>
    public ValueTask SendAsync(TestDelta delta, string? region = null, byte[]? payload = null, List<KeyValuePair<string, string>>? properties = null) =>
        _client.PublishAsync(new MqttApplicationMessage
        {
            Topic = Topics.Delta(region ?? Region, EdgeId),
            Payload = payload ?? delta.Bytes,
            Qos = MqttQos.AtLeastOnce,
            ContentType = ContentTypes.Parquet,
            UserProperties = properties ?? delta.Properties(),
        });

    /// <summary>Publishes a status message.</summary>
    public ValueTask SendStatusAsync(EdgeStatus status) =>
        _client.PublishAsync(Topics.Status(EdgeId), JsonSerializer.SerializeToUtf8Bytes(status, ContractsJson.Default.EdgeStatus));

    /// <summary>Waits for an ack of <paramref name="sequence"/> satisfying <paramref name="accept"/>.</summary>
    public async Task<DeltaAck> WaitAckAsync(long sequence, Func<DeltaAck, bool>? accept = null, int seconds = 30)
    {
        DeltaAck? found = null;
        await Eventually.TrueAsync(() => Acks.TryGetValue(sequence, out found) && (accept is null || accept(found)),
            TimeSpan.FromSeconds(seconds), $"ack of {EdgeId} #{sequence}");
        return found!;
    }

    public async ValueTask DisposeAsync() => await _client.DisposeAsync();
}
