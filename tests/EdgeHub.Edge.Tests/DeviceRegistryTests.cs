using EdgeHub.Contracts;
using EdgeHub.Edge.Ingest;

namespace EdgeHub.Edge.Tests;

public class DeviceRegistryTests
{
    private static DeviceRegistry NewRegistry() =>
        new(new EdgeOptions { PseudonymKey = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff" });

    [Fact]
    public void Site_DevicesOfOneSite_ShareOneIdAndTopicInstance()
    {
        var registry = NewRegistry();
        // Two separately decoded copies of the id, as two devices' frames produce them.
        var a = registry.Site(new string("ward-7".AsSpan()));
        var b = registry.Site(new string("ward-7".AsSpan()));
        Assert.Equal("ward-7", a.SiteId);
        Assert.Equal(Topics.Alerts("ward-7"), a.AlertsTopic);
        Assert.Same(a.SiteId, b.SiteId);
        Assert.Same(a.AlertsTopic, b.AlertsTopic);
    }

    [Fact]
    public void Site_IdNotValidInATopic_AlertsGoToUnknown()
    {
        var registry = NewRegistry();
        var site = registry.Site("ward/7#");
        Assert.Equal("ward/7#", site.SiteId);
        Assert.Equal(Topics.Alerts("unknown"), site.AlertsTopic);
    }

    [Fact]
    public void Site_ManyInventedSites_EachStillAnsweredCorrectly()
    {
        // Past the cache's bound sites are no longer shared, but every answer stays right.
        var registry = NewRegistry();
        for (var i = 0; i < 3000; i++)
        {
            var id = "site-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var site = registry.Site(id);
            Assert.Equal(id, site.SiteId);
            Assert.Equal(Topics.Alerts(id), site.AlertsTopic);
        }
    }
}
