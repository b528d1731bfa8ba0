namespace EdgeHub.Testing;

/// <summary>Where tests find the repository, the real MIT-BIH records, the node test peers and the native ORT library.</summary>
public static class RepoPaths
{
    /// <summary>The folder holding EdgeHub.sln, found by walking up from the test binaries.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>MIT-BIH records: EDGEHUB_MITDB, else ../shared/data/mitdb beside the checkout. Throws a clear message when absent.</summary>
    public static string MitDb
    {
        get
        {
            var dir = Environment.GetEnvironmentVariable("EDGEHUB_MITDB");
            if (string.IsNullOrEmpty(dir))
            {
                dir = Path.GetFullPath(Path.Combine(Root, "..", "shared", "data", "mitdb"));
            }

            return Directory.Exists(dir)
                ? dir
                : throw new InvalidOperationException(
                    $"MIT-BIH records not found at '{dir}': set EDGEHUB_MITDB to a folder with the records (NNN.hea/.dat/.atr)");
        }
    }

    /// <summary>node_modules with @duckdb/node-api and hyparquet (installed by ./edgehub test).</summary>
    public static string NodeModules
    {
        get
        {
            var dir = Environment.GetEnvironmentVariable("EDGEHUB_NODE_MODULES");
            if (string.IsNullOrEmpty(dir))
            {
                dir = Path.Combine(Root, ".cache", "node", "node_modules");
            }

            return Directory.Exists(dir)
                ? dir
                : throw new InvalidOperationException($"node test peers not installed at '{dir}': run ./edgehub test (it installs them)");
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EdgeHub.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"EdgeHub.sln not found above {AppContext.BaseDirectory}");
    }
}
