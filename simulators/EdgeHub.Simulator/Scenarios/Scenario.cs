using System.Reflection;
using System.Text.Json;
using EdgeHub.Contracts;

namespace EdgeHub.Simulator;

/// <summary>
/// A validated scenario: sites, device naming and cohorts of scripted episodes. <see cref="Load"/> reads a file,
/// <see cref="Default"/> is the built-in mix (scenarios/default.json) that makes a demo raise alerts within a minute.
/// </summary>
public sealed class Scenario
{
    private Scenario(string name, string description, IReadOnlyList<string> sites, string devicePrefix, IReadOnlyList<Cohort> cohorts)
    {
        Name = name;
        Description = description;
        Sites = sites;
        DevicePrefix = devicePrefix;
        Cohorts = cohorts;
    }

    /// <summary>Scenario name.</summary>
    public string Name { get; }
    /// <summary>Free text.</summary>
    public string Description { get; }
    /// <summary>Sites the devices are spread over, round robin.</summary>
    public IReadOnlyList<string> Sites { get; }
    /// <summary>Device id prefix.</summary>
    public string DevicePrefix { get; }
    /// <summary>Cohorts in file order (assignment order).</summary>
    public IReadOnlyList<Cohort> Cohorts { get; }

    /// <summary>The built-in default scenario.</summary>
    public static Scenario Default { get; } = LoadDefault();

    /// <summary>Device id of device <paramref name="index"/> (0-based): PREFIX-00001 …</summary>
    public string DeviceId(int index) => $"{DevicePrefix}-{index + 1:D5}";

    /// <summary>Reads and validates a scenario file; errors name the file and the offending field.</summary>
    public static Scenario Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"scenario file '{path}' does not exist; see simulators/EdgeHub.Simulator/scenarios/default.json for the format", path);
        }

        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses and validates scenario JSON; <paramref name="source"/> names it in errors.</summary>
    public static Scenario Parse(string json, string source = "scenario")
    {
        ScenarioFile? file;
        try
        {
            file = JsonSerializer.Deserialize(json, ScenarioJson.Default.ScenarioFile);
        }
        catch (JsonException ex)
        {
            throw new FormatException($"{source}: not a valid scenario ({ex.Message})", ex);
        }

        if (file is null)
        {
            throw new FormatException($"{source}: empty scenario (expected an object with \"cohorts\")");
        }

        var sites = file.Sites is { Count: > 0 } s ? s : ["ward-1", "ward-2"];
        foreach (var site in sites)
        {
            if (!Ids.IsValid(site))
            {
                throw new FormatException($"{source}: site '{site}' is not a valid id (1-64 characters of A-Z a-z 0-9 . _ -)");
            }
        }

        var prefix = file.DevicePrefix ?? "dev";
        if (!Ids.IsValid(prefix) || prefix.Length > Ids.MaxLength - 6)
        {
            throw new FormatException($"{source}: devicePrefix '{prefix}' is not a valid id prefix (1-58 characters of A-Z a-z 0-9 . _ -)");
        }

        var cohorts = new List<Cohort>();
        for (var i = 0; i < (file.Cohorts?.Count ?? 0); i++)
        {
            cohorts.Add(Cohort.FromFile(file.Cohorts![i], $"{source}: cohorts[{i}]"));
        }

        return new Scenario(file.Name ?? Path.GetFileNameWithoutExtension(source), file.Description ?? "", sites, prefix, cohorts);
    }

    /// <summary>
    /// Assigns <paramref name="deviceCount"/> devices to cohorts: explicit ids first, then count/share cohorts take the
    /// lowest-numbered devices not yet taken, in file order. Returns each device's cohort (null = none).
    /// </summary>
    public Cohort?[] Assign(int deviceCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(deviceCount);
        var result = new Cohort?[deviceCount];
        foreach (var cohort in Cohorts)
        {
            if (cohort.DeviceIds is null)
            {
                continue;
            }

            foreach (var id in cohort.DeviceIds)
            {
                for (var d = 0; d < deviceCount; d++)
                {
                    if (result[d] is null && DeviceId(d) == id)
                    {
                        result[d] = cohort;
                    }
                }
            }
        }

        var next = 0;
        foreach (var cohort in Cohorts)
        {
            if (cohort.DeviceIds is not null)
            {
                continue;
            }

            var want = cohort.Count ?? (int)Math.Ceiling((cohort.Share ?? 0) * deviceCount);
            for (; want > 0 && next < deviceCount; next++)
            {
                if (result[next] is null)
                {
                    result[next] = cohort;
                    want--;
                }
            }
        }

        return result;
    }

    private static Scenario LoadDefault()
    {
        using var stream = typeof(Scenario).Assembly.GetManifestResourceStream("EdgeHub.Simulator.scenarios.default.json")
            ?? throw new InvalidOperationException("the default scenario is not embedded in EdgeHub.Simulator (build problem)");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd(), "default.json");
    }
}
