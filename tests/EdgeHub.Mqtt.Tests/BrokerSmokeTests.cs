using System.Collections.Concurrent;
using System.Text;

namespace EdgeHub.Mqtt.Tests;

public sealed class BrokerSmokeTests
{
    [Theory]
    [InlineData(MqttProtocolVersion.V311, MqttQos.AtMostOnce)]
    [InlineData(MqttProtocolVersion.V311, MqttQos.AtLeastOnce)]
    [InlineData(MqttProtocolVersion.V311, MqttQos.ExactlyOnce)]
    [InlineData(MqttProtocolVersion.V500, MqttQos.AtMostOnce)]
    [InlineData(MqttProtocolVersion.V500, MqttQos.AtLeastOnce)]
    [InlineData(MqttProtocolVersion.V500, MqttQos.ExactlyOnce)]
    public async Task PublishSubscribe_OwnBroker_DeliversInOrder(MqttProtocolVersion version, MqttQos qos)
    {
        await using var broker = await TestSupport.StartBrokerAsync();
        await using var sub = TestSupport.Client(broker.Port, "sub", version);
        await using var pub = TestSupport.Client(broker.Port, "pub", version);
        var received = new ConcurrentQueue<string>();
        sub.MessageReceived = (m, _) =>
        {
            received.Enqueue(Encoding.UTF8.GetString(m.Payload.Span));
            return ValueTask.CompletedTask;
        };
        await sub.ConnectAsync();
        await sub.SubscribeAsync("a/+/c", qos);
        await pub.ConnectAsync();
        for (var i = 0; i < 200; i++)
        {
            await pub.PublishAsync("a/b/c", Encoding.UTF8.GetBytes(i.ToString(System.Globalization.CultureInfo.InvariantCulture)), qos);
        }
        await TestSupport.WaitUntilAsync(() => received.Count == 200, "200 messages");
        Assert.Equal(Enumerable.Range(0, 200).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), received);
    }
}
