namespace EdgeHub.Faults.Tests;

/// <summary>
/// Every fault scenario runs three service processes plus a device fleet; on a 2-core machine they run one at a time
/// (scenarios in one collection never overlap), which also keeps each scenario's timings meaningful.
/// </summary>
[CollectionDefinition(Name)]
public sealed class FaultCollection
{
    /// <summary>The collection name.</summary>
    public const string Name = "fault injection";
}
