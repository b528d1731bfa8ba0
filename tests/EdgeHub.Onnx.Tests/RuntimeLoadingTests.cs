namespace EdgeHub.Onnx.Tests;

/// <summary>
/// Where the native library comes from: the Microsoft.ML.OnnxRuntime package by default, the file EDGEHUB_ORT_LIBRARY names
/// otherwise (and then nothing else). Resolution happens once per process, so each case runs in a fresh one.
/// </summary>
public sealed class RuntimeLoadingTests
{
    private static readonly string PackageLibrary = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libonnxruntime.so");

    [Fact]
    public void Probe_VariableUnset_LoadsThePackagesLibraryAndRuns()
    {
        var (exitCode, output) = OrtTestEnvironment.RunProbe(null);
        Assert.True(exitCode == 0, $"exit {exitCode}: {output}");
        Assert.Contains($"loaded 1.32.0 from {PackageLibrary};", output, StringComparison.Ordinal);
        AssertLabelMatchesReference(output);
    }

    [Fact]
    public void Probe_VariableNamesACopyElsewhere_ThatCopyIsWhatRuns()
    {
        using var dir = new EdgeHub.Testing.TempDir("edgehub-ort-copy");
        var copy = Path.Combine(dir.Path, "libonnxruntime.so");
        File.Copy(PackageLibrary, copy);
        var (exitCode, output) = OrtTestEnvironment.RunProbe(copy);
        Assert.True(exitCode == 0, $"exit {exitCode}: {output}");
        // The path is the mapping the kernel reports for ORT's code, so this fails if the package's copy ran instead.
        Assert.Contains($"loaded 1.32.0 from {copy};", output, StringComparison.Ordinal);
        AssertLabelMatchesReference(output);
    }

    [Fact]
    public void Probe_VariableNamesMissingFile_OneLineErrorNamingTheSetting()
    {
        var (exitCode, output) = OrtTestEnvironment.RunProbe("/nonexistent/edgehub/libonnxruntime.so");
        Assert.True(exitCode == 1, $"exit {exitCode}: {output}");
        Assert.Equal(
            "ONNX Runtime native library not found: EDGEHUB_ORT_LIBRARY=/nonexistent/edgehub/libonnxruntime.so does not exist; point it at a libonnxruntime.so or unset it to use the package's own",
            output.Trim());
    }

    [Fact]
    public void Probe_VariableNamesGarbageFile_SaysItCouldNotBeLoaded()
    {
        using var dir = new EdgeHub.Testing.TempDir("edgehub-ort-garbage");
        var path = Path.Combine(dir.Path, "libonnxruntime.so");
        File.WriteAllBytes(path, "definitely not an ELF shared object"u8.ToArray());
        var (exitCode, output) = OrtTestEnvironment.RunProbe(path);
        Assert.True(exitCode == 1, $"exit {exitCode}: {output}");
        Assert.StartsWith($"ONNX Runtime native library could not be loaded from EDGEHUB_ORT_LIBRARY={path}: ", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Probe_VariableNamesAnotherLibrary_SaysItIsNotOnnxRuntime()
    {
        var notOrt = new[] { "/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/x86_64-linux-gnu/libz.so.1", "/lib/x86_64-linux-gnu/libm.so.6" }.First(File.Exists);
        var (exitCode, output) = OrtTestEnvironment.RunProbe(notOrt);
        Assert.True(exitCode == 1, $"exit {exitCode}: {output}");
        Assert.Contains($"EDGEHUB_ORT_LIBRARY={notOrt} is not ONNX Runtime (it exports no OrtGetApiBase)", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Version_InThisProcess_IsThePackages()
    {
        Assert.Equal("1.32.0", OrtLibrary.Version);
        Assert.True(File.Exists(OrtLibrary.LibraryPath), OrtLibrary.LibraryPath);
    }

    private static void AssertLabelMatchesReference(string output)
    {
        var match = System.Text.RegularExpressions.Regex.Match(output, @"label (\d+) \(reference (\d+)\)");
        Assert.True(match.Success, output);
        Assert.Equal(match.Groups[2].Value, match.Groups[1].Value);
    }
}
