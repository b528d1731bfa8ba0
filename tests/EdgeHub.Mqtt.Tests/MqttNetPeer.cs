using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using EdgeHub.Testing;
using MQTTnet;
using MQTTnet.Server;

namespace EdgeHub.Mqtt.Tests;

/// <summary>
/// MQTTnet 5 as the third-party peer of the interop tests: its server in this process (persistent sessions on, as a
/// broker our edge could be pointed at), and its client with a copy of every message it receives.
/// </summary>
internal static class MqttNetPeer
{
    /// <summary>Starts MQTTnet's server on a free loopback port.</summary>
    public static async Task<(MqttServer Server, int Port)> StartServerAsync()
    {
        var port = FreePorts.Next();
        var options = new MqttServerOptionsBuilder()
            .WithDefaultEndpoint()
            .WithDefaultEndpointBoundIPAddress(IPAddress.Loopback)
            .WithDefaultEndpointPort(port)
            .WithPersistentSessions(true)
            .Build();
        var server = new MqttServerFactory().CreateMqttServer(options);
        await server.StartAsync();
        return (server, port);
    }

    public static MqttClientOptionsBuilder Options(int port, string clientId, MQTTnet.Formatter.MqttProtocolVersion version = MQTTnet.Formatter.MqttProtocolVersion.V500) =>
        new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId(clientId).WithProtocolVersion(version)
            .WithTimeout(TestSupport.Timeout);

    /// <summary>An MQTTnet client whose received messages (topic, payload copy, QoS, retain) land in the returned queue.</summary>
    public static (IMqttClient Client, ConcurrentQueue<Received> Received) Client()
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var received = new ConcurrentQueue<Received>();
        client.ApplicationMessageReceivedAsync += e =>
        {
            var m = e.ApplicationMessage;
            received.Enqueue(new Received(m.Topic, m.Payload.ToArray(), (MqttQos)(int)m.QualityOfServiceLevel, m.Retain, m.ContentType));
            return Task.CompletedTask;
        };
        return (client, received);
    }

    public static MQTTnet.Protocol.MqttQualityOfServiceLevel Level(MqttQos qos) => (MQTTnet.Protocol.MqttQualityOfServiceLevel)(int)qos;

    public static Task<MqttClientPublishResult> PublishAsync(this IMqttClient client, string topic, byte[] payload, MqttQos qos, bool retain = false) =>
        client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(Level(qos))
            .WithRetainFlag(retain).Build(), CancellationToken.None);

    /// <summary>A message as an MQTTnet client received it.</summary>
    public sealed record Received(string Topic, byte[] Payload, MqttQos Qos, bool Retain, string? ContentType);
}
