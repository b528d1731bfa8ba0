using System.Collections.Concurrent;
using System.Text.Json;
using EdgeHub.Contracts;
using EdgeHub.Mqtt;

namespace EdgeHub.Simulator.Tests;

/// <summary>
/// A stand-in edge for fleet tests: subscribes to all telemetry, parses every frame with the real codec, records what it
/// saw per device, and answers each valid frame with a Feedback carrying its sequence number (as the edge agent does).
/// </summary>
internal sealed class EchoEdge : IAsyncDisposable
{
    private readonly MqttClient _client;
    private readonly TelemetryFrame _frame = new();

    private EchoEdge(MqttClient client) => _client = client;

    public ConcurrentDictionary<string, ConcurrentQueue<(uint Seq, long TimestampMicros, int Samples, bool LeadOff, byte? SpO2)>> Frames { get; } = new();
    public long Valid;
    public long Invalid;

    public static async Task<EchoEdge> StartAsync(int port, bool answer = true)
    {
        var client = new MqttClient(new MqttClientOptions { Host = "127.0.0.1", Port = port, ClientId = "test-echo-edge" });
        var edge = new EchoEdge(client);
        client.MessageReceived = async (m, ct) =>
        {
            if (TelemetryCodec.TryParse(m.Payload.Span, edge._frame) != FrameError.None
                || !Topics.TryGetId(m.Topic, "devices", 1, out var device))
            {
                Interlocked.Increment(ref edge.Invalid);
                return;
            }

            Interlocked.Increment(ref edge.Valid);
            var f = edge._frame;
            edge.Frames.GetOrAdd(device, _ => new()).Enqueue((f.Sequence, f.TimestampMicros, f.SampleCount, f.LeadOff, f.SpO2));
            if (answer)
            {
                var feedback = JsonSerializer.SerializeToUtf8Bytes(new Feedback { Seq = f.Sequence, State = "ok" }, ContractsJson.Default.Feedback);
                await client.PublishAsync(Topics.Feedback(device), feedback, MqttQos.AtMostOnce, retain: false, ct);
            }
        };
        await client.ConnectAsync();
        await client.SubscribeAsync(Topics.AllTelemetry, MqttQos.AtMostOnce);
        return edge;
    }

    public ValueTask DisposeAsync() => _client.DisposeAsync();
}
