namespace EdgeHub.Contracts;

/// <summary>
/// The MQTT topic tree (ARCHITECTURE.md "Data flow and topics"). Every topic is built and parsed here, nowhere else,
/// so a rename is one change. Identifiers must be valid single topic levels (see <see cref="Ids.Validate"/>).
/// </summary>
public static class Topics
{
    public const string Root = "ehub/v1";

    /// <summary>Device → edge: one telemetry frame.</summary>
    public static string Telemetry(string deviceId) => $"{Root}/devices/{deviceId}/telemetry";

    /// <summary>Filter the edge subscribes to for every device's telemetry.</summary>
    public const string AllTelemetry = Root + "/devices/+/telemetry";

    /// <summary>Edge → device: current assessment and alert state.</summary>
    public static string Feedback(string deviceId) => $"{Root}/devices/{deviceId}/feedback";

    /// <summary>Edge → clinician apps: alert raised / updated / cleared.</summary>
    public static string Alerts(string siteId) => $"{Root}/sites/{siteId}/alerts";

    /// <summary>Filter for every site's alerts (clinician bot, tests).</summary>
    public const string AllAlerts = Root + "/sites/+/alerts";

    /// <summary>Clinician → edge: confirm / reject / relabel an alert.</summary>
    public static string Labels(string siteId) => $"{Root}/sites/{siteId}/labels";

    /// <summary>Filter for every site's labels.</summary>
    public const string AllLabels = Root + "/sites/+/labels";

    /// <summary>Edge → hub: one Parquet delta with its manifest as user properties.</summary>
    public static string Delta(string region, string edgeId) => $"{Root}/hub/deltas/{region}/{edgeId}";

    /// <summary>The hub nodes' shared subscription to every delta: each delta reaches exactly one node.</summary>
    public const string DeltasShared = "$share/hub/" + Root + "/hub/deltas/+/+";

    /// <summary>Hub → edge: a delta committed (dataset version) or rejected (reason).</summary>
    public static string Acks(string edgeId) => $"{Root}/edges/{edgeId}/acks";

    /// <summary>Hub → edges of a region, retained: the region's model assignment.</summary>
    public static string RegionModel(string region) => $"{Root}/regions/{region}/model";

    /// <summary>Hub → one edge, retained: an edge-specific assignment (canary, pin, rollback); overrides the region's.</summary>
    public static string EdgeModel(string edgeId) => $"{Root}/edges/{edgeId}/model";

    /// <summary>Edge → hub: status; the edge's will message on this topic marks it offline.</summary>
    public static string Status(string edgeId) => $"{Root}/edges/{edgeId}/status";

    /// <summary>Filter for every edge's status (hub).</summary>
    public const string AllStatus = Root + "/edges/+/status";

    /// <summary>
    /// Returns the identifier at <paramref name="level"/> (0-based, counted after "ehub/v1/") of <paramref name="topic"/>
    /// when the topic has the expected <paramref name="kind"/> at level 0, e.g. TryGetLevel("ehub/v1/devices/d1/telemetry", "devices", 1).
    /// Allocation-free except for the returned string.
    /// </summary>
    public static bool TryGetId(string topic, string kind, int level, out string id)
    {
        ArgumentNullException.ThrowIfNull(topic);
        id = "";
        var span = topic.AsSpan();
        if (!span.StartsWith(Root + "/", StringComparison.Ordinal))
        {
            return false;
        }

        span = span[(Root.Length + 1)..];
        var index = 0;
        while (true)
        {
            var slash = span.IndexOf('/');
            var part = slash < 0 ? span : span[..slash];
            if (index == 0 && !part.SequenceEqual(kind))
            {
                return false;
            }

            if (index == level)
            {
                if (part.IsEmpty)
                {
                    return false;
                }

                id = part.ToString();
                return true;
            }

            if (slash < 0)
            {
                return false;
            }

            span = span[(slash + 1)..];
            index++;
        }
    }
}
