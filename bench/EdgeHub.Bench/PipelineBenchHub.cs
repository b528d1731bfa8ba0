using System.Globalization;
using System.Text.Json;
using EdgeHub.Contracts;
using EdgeHub.Mqtt;

namespace EdgeHub.Bench;

/// <summary>
/// The hub's side of store-and-forward for the pipeline bench: subscribed on the hub broker the agent uplinks to (a separate
/// broker in the bench process, as the hub's broker is not on the edge), it answers every delta on <see cref="Topics.Delta"/> with a "committed"
/// <see cref="DeltaAck"/> on <see cref="Topics.Acks"/>, taking sequence and delta id from the manifest's user properties
/// (<see cref="DeltaProperties"/>) the way the hub does after its commit. Without it nobody acknowledges, and the agent keeps
/// its in-flight window of multi-MB deltas and resends them: a partitioned edge, not a deployed one. It neither parses nor
/// stores the Parquet bytes (the hub's cost is not the edge's).
/// </summary>
internal sealed class PipelineBenchHub : IAsyncDisposable
{
    private readonly MqttClient _client;
    private readonly string _edgeId;
    private long _acked;

    private PipelineBenchHub(MqttClient client, string edgeId)
    {
        _client = client;
        _edgeId = edgeId;
    }

    /// <summary>Deltas acknowledged so far (resends included).</summary>
    public long Acked => Interlocked.Read(ref _acked);

    /// <summary>Connects to the uplink broker and subscribes to the deltas of <paramref name="edgeId"/> in <paramref name="region"/>.</summary>
    public static async Task<PipelineBenchHub> StartAsync(int port, string region, string edgeId, CancellationToken ct)
    {
        var client = new MqttClient(new MqttClientOptions { Host = "127.0.0.1", Port = port, ClientId = "bench-hub-acks" });
        var hub = new PipelineBenchHub(client, edgeId);
        client.MessageReceived = hub.OnDeltaAsync;
        await client.ConnectAsync(ct);
        await client.SubscribeAsync(Topics.Delta(region, edgeId), MqttQos.AtLeastOnce, ct);
        return hub;
    }

    private async ValueTask OnDeltaAsync(MqttApplicationMessage message, CancellationToken ct)
    {
        string? deltaId = null;
        long sequence = -1;
        foreach (var (key, value) in message.UserProperties ?? [])
        {
            if (key == DeltaProperties.DeltaId)
            {
                deltaId = value;
            }
            else if (key == DeltaProperties.Sequence && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var s))
            {
                sequence = s;
            }
        }

        if (deltaId is null || sequence < 0)
        {
            Console.Error.WriteLine($"bench hub: delta on {message.Topic} without delta-id/sequence user properties; not acknowledged");
            return;
        }

        var ack = new DeltaAck { DeltaId = deltaId, Sequence = sequence, Status = "committed", DatasetVersion = sequence, HubNode = "bench-hub" };
        await _client.PublishAsync(Topics.Acks(_edgeId), JsonSerializer.SerializeToUtf8Bytes(ack, ContractsJson.Default.DeltaAck), MqttQos.AtLeastOnce, false, ct);
        Interlocked.Increment(ref _acked);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await _client.DisposeAsync();
}
