namespace EdgeHub.Cli.Demo;

/// <summary>What <c>./edgehub demo</c> was asked to do.</summary>
internal sealed record DemoOptions(int Devices, TimeSpan? Duration, string DataDirectory, int Seed, bool Secure = false, string? SeedRecords = null)
{
    /// <summary>The two regions the demo runs, one edge each.</summary>
    public static IReadOnlyList<string> Regions { get; } = ["na", "eu"];
}
