using EdgeHub.Mqtt.Broker;

namespace EdgeHub.Mqtt.Tests;

/// <summary>The topic tree: a level's lone child kept inline, promoted to a dictionary by a second child, pruned on removal.</summary>
public sealed class SubscriptionTreeTests
{
    [Fact]
    public void LoneChild_SecondChild_AndRemovals_MatchLikeAFlatList()
    {
        using var tree = new SubscriptionTree();
        var sessions = Enumerable.Range(0, 6).Select(i => new BrokerSession($"c{i}", 10, 100)).ToArray();
        string[] filters = ["ward/dev/1/feedback", "ward/dev/2/feedback", "ward/dev/1/status", "ward/+/1/feedback", "ward/#", "other/x"];
        var subs = filters.Select((f, i) => new BrokerSubscription(sessions[i], f, f, null, new MqttSubscription(f, MqttQos.AtMostOnce))).ToList();
        string[] topics = ["ward/dev/1/feedback", "ward/dev/2/feedback", "ward/dev/1/status", "ward/dev/3/feedback", "ward/dev", "other/x", "other/y", "ward/dev/1"];

        var active = new List<BrokerSubscription>();
        void Check()
        {
            foreach (var topic in topics)
            {
                var matches = new List<BrokerSubscription>();
                tree.Match(topic, matches, []);
                var expected = active.Where(s => MqttTopic.Matches(s.TopicFilter, topic)).Select(s => s.TopicFilter).Order().ToArray();
                Assert.Equal(expected, matches.Select(s => s.TopicFilter).Order().ToArray());
            }
        }

        foreach (var sub in subs)
        {
            Assert.True(tree.Add(sub));
            active.Add(sub);
            Check();
        }
        // Remove in an order that empties the inline child first, then the promoted dictionary's entries.
        foreach (var i in new[] { 0, 2, 1, 5, 3, 4 })
        {
            Assert.True(tree.Remove(sessions[i], filters[i], null));
            active.Remove(subs[i]);
            Check();
        }
        Assert.Equal(0, tree.Count);
        // Re-adding after pruning works (the inline slot is free again).
        Assert.True(tree.Add(subs[1]));
        active.Add(subs[1]);
        Check();
    }
}
