namespace EdgeHub.Testing;

/// <summary>A temporary folder (created at once) removed with everything in it at dispose.</summary>
public sealed class TempDir : IDisposable
{
    /// <summary>Creates <c>{temp}/{prefix}-{random}</c>.</summary>
    public TempDir(string prefix = "edgehub-test")
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), prefix + "-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    /// <summary>The folder.</summary>
    public string Path { get; }

    /// <summary>Deletes the folder; a file still held open elsewhere leaves it behind rather than failing the test.</summary>
    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
