namespace EdgeHub.Signals.Tests;

/// <summary>Locates the shared MIT-BIH records: EDGEHUB_MITDB, else &lt;repo root&gt;/../shared/data/mitdb.</summary>
internal static class TestData
{
    public static string MitDb
    {
        get
        {
            var env = Environment.GetEnvironmentVariable("EDGEHUB_MITDB");
            if (!string.IsNullOrEmpty(env))
            {
                return Directory.Exists(env)
                    ? env
                    : throw new InvalidOperationException($"EDGEHUB_MITDB points to '{env}', which does not exist; point it at the MIT-BIH records folder");
            }

            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "EdgeHub.sln")))
            {
                dir = dir.Parent;
            }

            if (dir is null)
            {
                throw new InvalidOperationException($"repository root (folder with EdgeHub.sln) not found above {AppContext.BaseDirectory}; set EDGEHUB_MITDB");
            }

            var path = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data", "mitdb"));
            return Directory.Exists(path)
                ? path
                : throw new InvalidOperationException($"MIT-BIH records not found at '{path}' and EDGEHUB_MITDB is not set; these tests need the real records");
        }
    }

    public static string Record(string name) => Path.Combine(MitDb, name);

    /// <summary>PROVENANCE.tsv rows: record → (signal kind, annotation kind, dat SHA-1).</summary>
    public static IReadOnlyDictionary<string, (string Signal, string Annotations, string Sha1)> Provenance()
    {
        var rows = new Dictionary<string, (string, string, string)>();
        foreach (var line in File.ReadAllLines(Path.Combine(MitDb, "PROVENANCE.tsv")).Skip(1))
        {
            var f = line.Split('\t');
            if (f.Length >= 4)
            {
                rows[f[0]] = (f[1], f[2], f[3]);
            }
        }

        return rows;
    }
}
