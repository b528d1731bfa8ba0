using EdgeHub.Contracts;

namespace EdgeHub.Contracts.Tests;

public class TopicsTests
{
    [Fact]
    public void TryGetId_TelemetryTopic_ReturnsDeviceId()
    {
        Assert.True(Topics.TryGetId(Topics.Telemetry("dev-17"), "devices", 1, out var id));
        Assert.Equal("dev-17", id);
    }

    [Fact]
    public void TryGetId_DeltaTopic_ReturnsRegionAndEdge()
    {
        var topic = Topics.Delta("eu-west", "edge-3");
        Assert.True(Topics.TryGetId(topic, "hub", 2, out var region));
        Assert.True(Topics.TryGetId(topic, "hub", 3, out var edge));
        Assert.Equal("eu-west", region);
        Assert.Equal("edge-3", edge);
    }

    [Theory]
    [InlineData("other/v1/devices/d/telemetry")]
    [InlineData("ehub/v1/sites/d/telemetry")]
    [InlineData("ehub/v1/devices//telemetry")]
    [InlineData("ehub/v1/devices")]
    public void TryGetId_ForeignOrMalformedTopic_ReturnsFalse(string topic)
    {
        Assert.False(Topics.TryGetId(topic, "devices", 1, out _));
    }

    [Theory]
    [InlineData("edge-1", true)]
    [InlineData("a.b_c-9", true)]
    [InlineData("", false)]
    [InlineData("..", false)]
    [InlineData("has/slash", false)]
    [InlineData("plus+", false)]
    [InlineData("hash#", false)]
    public void IsValid_Identifiers_FollowTopicLevelRules(string id, bool valid)
    {
        Assert.Equal(valid, Ids.IsValid(id));
    }
}
