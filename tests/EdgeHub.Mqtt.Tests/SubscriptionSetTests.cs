using EdgeHub.Mqtt.Broker;

namespace EdgeHub.Mqtt.Tests;

/// <summary>A session's subscriptions: the lone one kept inline, a dictionary from the second, the same answers throughout.</summary>
public sealed class SubscriptionSetTests
{
    [Fact]
    public void AddReplaceRemove_BehavesLikeADictionary_AcrossTheInlineAndDictionaryForms()
    {
        var session = new BrokerSession("c", 10, 100);
        BrokerSubscription Sub(string f) => new(session, f, f, null, new MqttSubscription(f, MqttQos.AtMostOnce));
        var set = new SubscriptionSet();
        var reference = new Dictionary<string, BrokerSubscription>();
        var random = new Random(3);
        string[] filters = ["a", "b/+", "c/#", "d"];
        for (var step = 0; step < 3_000; step++)
        {
            var f = filters[random.Next(filters.Length)];
            switch (random.Next(5))
            {
                case 0:
                    Assert.Equal(reference.Remove(f, out var expected), set.Remove(f, out var removed));
                    Assert.Same(expected, removed);
                    break;
                case 1 when random.Next(20) == 0:
                    set.Clear();
                    reference.Clear();
                    break;
                default:
                    var sub = Sub(f);
                    set[f] = sub;
                    reference[f] = sub;
                    break;
            }
            Assert.Equal(reference.Count, set.Count);
            foreach (var g in filters)
            {
                Assert.Equal(reference.ContainsKey(g), set.ContainsKey(g));
            }
            Assert.Equal(reference.Values.OrderBy(s => s.Filter), set.Values.OrderBy(s => s.Filter));
        }
    }
}
