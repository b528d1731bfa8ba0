using System.Text.Json.Nodes;

namespace EdgeHub.Faults.Tests.Rig;

/// <summary>The settings files the rig's services start with (the keys of HubOptions and EdgeOptions).</summary>
internal static class RigConfigs
{
    /// <summary>A single hub node: SQLite catalog, the standalone broker (or its own embedded one on that port), one region, learning off (no retrain CPU).</summary>
    public static JsonObject Hub(string dataRoot, string edgeId, string region, int brokerPort, bool embeddedBroker, string operatorToken) => new()
    {
        ["NodeId"] = "hub-f1",
        ["DataRoot"] = dataRoot,
        ["Regions"] = new JsonArray(region),
        ["Edges"] = new JsonObject { [edgeId] = region },
        ["Broker"] = new JsonObject { ["Mode"] = embeddedBroker ? "embedded" : "external", ["Host"] = "127.0.0.1", ["Port"] = brokerPort },
        ["Api"] = new JsonObject { ["Tokens"] = new JsonObject { [operatorToken] = "operator" } },
        ["Learning"] = new JsonObject { ["Enabled"] = false },
    };

    /// <summary>An edge with its embedded device broker on a fixed port and the standalone broker as its hub uplink.</summary>
    public static JsonObject Edge(RigSettings s, string edgeId, string region, string dataDirectory, int devicePort, int brokerPort) => new()
    {
        ["Edge"] = new JsonObject
        {
            ["EdgeId"] = edgeId,
            ["Region"] = region,
            ["DataDirectory"] = dataDirectory,
            ["PseudonymKey"] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
            ["StatusIntervalSeconds"] = 1,
            ["DiskQuotaMb"] = s.DiskQuotaMb,
            ["MaxClockSkewSeconds"] = s.MaxClockSkewSeconds,
            ["DeviceBroker"] = new JsonObject { ["Embedded"] = true, ["Port"] = devicePort },
            ["HubBroker"] = new JsonObject { ["Host"] = "127.0.0.1", ["Port"] = brokerPort },
            ["Sealing"] = new JsonObject
            {
                ["MaxRows"] = s.SealMaxRows,
                ["MaxSeconds"] = s.SealMaxSeconds,
                ["RetrySeconds"] = s.RetrySeconds,
                ["MaxRetrySeconds"] = s.MaxRetrySeconds,
                ["MaxUnackedDeltas"] = s.MaxUnackedDeltas,
            },
        },
    };
}
