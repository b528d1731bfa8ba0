using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using EdgeHub.Contracts;
using EdgeHub.Mqtt;
using EdgeHub.Parquet;

namespace EdgeHub.Edge.Tests.Support;

/// <summary>
/// A minimal hub for edge tests: receives deltas on the broker, checks manifest and SHA-256, de-duplicates by
/// (edge, sequence) the way the real hub's txn version does, and acknowledges. Records every violation it sees
/// (a sequence resent with different content, a wrong digest) instead of throwing on the MQTT thread.
/// </summary>
public sealed class TestHub : IAsyncDisposable
{
    private readonly MqttClient _client;
    private readonly ConcurrentDictionary<long, Received> _committed = new();
    private readonly ConcurrentQueue<string> _violations = new();
    private long _messages;

    private TestHub(MqttClient client) => _client = client;

    /// <summary>A delta the hub committed.</summary>
    public sealed record Received(long Sequence, string DeltaId, string Sha256, int Rows, byte[] Bytes);

    /// <summary>When false, deltas are received but not acknowledged (hub "down" for acks).</summary>
    public bool Acknowledge { get; set; } = true;

    /// <summary>Committed deltas by sequence.</summary>
    public IReadOnlyDictionary<long, Received> Committed => _committed;

    /// <summary>Delta messages received (including resends).</summary>
    public long Messages => Interlocked.Read(ref _messages);

    /// <summary>Everything that broke the protocol.</summary>
    public IReadOnlyList<string> Violations => [.. _violations];

    /// <summary>Connects to the broker and subscribes to every delta.</summary>
    public static async Task<TestHub> StartAsync(int port, CancellationToken ct = default)
    {
        var client = new MqttClient(new MqttClientOptions { Host = "127.0.0.1", Port = port, ClientId = "test-hub-" + Guid.NewGuid().ToString("N")[..8] });
        var hub = new TestHub(client);
        client.MessageReceived = hub.OnMessageAsync;
        await client.ConnectAsync(ct);
        await client.SubscribeAsync(Topics.Root + "/hub/deltas/+/+", MqttQos.AtLeastOnce, ct);
        return hub;
    }

    /// <summary>Window rows of every committed delta: window_id → count (label rows excluded).</summary>
    public Dictionary<string, int> WindowIds()
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var d in _committed.Values)
        {
            using var reader = new ParquetReader(d.Bytes);
            var batch = reader.ReadAll(["row_kind", "window_id"]);
            var kinds = batch.String(0);
            var windowIds = batch.String(1);
            for (var r = 0; r < batch.RowCount; r++)
            {
                if (kinds[r] == DeltaSchema.RowKindWindow)
                {
                    ids[windowIds[r]!] = ids.GetValueOrDefault(windowIds[r]!) + 1;
                }
            }
        }

        return ids;
    }

    private async ValueTask OnMessageAsync(MqttApplicationMessage m, CancellationToken ct)
    {
        Interlocked.Increment(ref _messages);
        var props = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in m.UserProperties ?? [])
        {
            props[k] = v;
        }

        var bytes = m.Payload.ToArray();
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (!props.TryGetValue(DeltaProperties.Sequence, out var seqText) || !long.TryParse(seqText, out var seq)
            || !props.TryGetValue(DeltaProperties.DeltaId, out var deltaId) || !props.TryGetValue(DeltaProperties.Rows, out var rowsText))
        {
            _violations.Enqueue($"delta on {m.Topic} without a complete manifest");
            return;
        }

        if (props.GetValueOrDefault(DeltaProperties.Sha256) != sha)
        {
            _violations.Enqueue($"delta {deltaId}: manifest sha256 {props.GetValueOrDefault(DeltaProperties.Sha256)} but payload hashes to {sha}");
        }

        if (props.GetValueOrDefault(DeltaProperties.SchemaId) != DeltaSchema.Id)
        {
            _violations.Enqueue($"delta {deltaId}: schema-id {props.GetValueOrDefault(DeltaProperties.SchemaId)}");
        }

        var status = "committed";
        var fresh = new Received(seq, deltaId, sha, int.Parse(rowsText, System.Globalization.CultureInfo.InvariantCulture), bytes);
        var existing = _committed.GetOrAdd(seq, fresh);
        if (!ReferenceEquals(existing, fresh))
        {
            status = "duplicate";
            if (existing.Sha256 != sha || existing.DeltaId != deltaId)
            {
                _violations.Enqueue($"sequence {seq} reused for different content: {existing.DeltaId}/{existing.Sha256} then {deltaId}/{sha}");
            }
        }

        if (!Acknowledge)
        {
            return;
        }

        Topics.TryGetId(m.Topic, "hub", 3, out var edgeId);
        var ack = new DeltaAck { DeltaId = deltaId, Sequence = seq, Status = status, DatasetVersion = seq, HubNode = "test-hub" };
        await _client.PublishAsync(Topics.Acks(edgeId), JsonSerializer.SerializeToUtf8Bytes(ack, ContractsJson.Default.DeltaAck), MqttQos.AtLeastOnce, false, ct);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _client.DisconnectAsync();
        }
        catch (MqttException)
        {
        }

        await _client.DisposeAsync();
    }
}
