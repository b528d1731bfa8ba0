using Microsoft.Extensions.Configuration;

namespace EdgeHub.Hub.Options;

/// <summary>
/// Reads <see cref="HubOptions"/> from an optional JSON settings file, then environment variables with the prefix
/// <c>EDGEHUB_HUB_</c> (sections separated by a double underscore, e.g. <c>EDGEHUB_HUB_Catalog__Provider=postgres</c>),
/// then <c>EDGEHUB_DATA</c> for the data root when nothing else set it.
/// </summary>
public static class HubOptionsLoader
{
    /// <summary>Environment variable prefix for overrides.</summary>
    public const string EnvironmentPrefix = "EDGEHUB_HUB_";

    /// <summary>Loads and resolves the options; throws with a one-line reason on a missing file or a bad value.</summary>
    public static HubOptions Load(string? configFile)
    {
        var builder = new ConfigurationBuilder();
        if (!string.IsNullOrEmpty(configFile))
        {
            var full = Path.GetFullPath(configFile);
            if (!File.Exists(full))
            {
                throw new FileNotFoundException($"hub settings file '{full}' does not exist: pass an existing JSON file with --config, or omit it for defaults");
            }

            builder.AddJsonFile(full, optional: false, reloadOnChange: false);
        }

        builder.AddEnvironmentVariables(EnvironmentPrefix);
        IConfiguration config;
        try
        {
            config = builder.Build();
        }
        catch (Exception ex) when (ex is FormatException or InvalidDataException or System.Text.Json.JsonException)
        {
            throw new InvalidDataException($"hub settings file '{configFile}' is not valid JSON: {ex.Message}", ex);
        }

        var options = new HubOptions();
        // A settings file may replace the default region list; binding appends to lists, so clear it first when given.
        if (config.GetSection(nameof(HubOptions.Regions)).Exists())
        {
            options.Regions.Clear();
        }

        try
        {
            config.Bind(options, o => o.ErrorOnUnknownConfiguration = false);
        }
        catch (InvalidOperationException ex)
        {
            throw new InvalidDataException($"hub settings: {ex.Message}", ex);
        }

        return options.Resolve();
    }
}
