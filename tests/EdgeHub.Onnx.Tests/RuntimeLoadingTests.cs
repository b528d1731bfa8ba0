using EdgeHub.Onnx.Native;

namespace EdgeHub.Onnx.Tests;

public sealed class RuntimeLoadingTests
{
    [Fact]
    public void Shared_LoadsOrt130()
    {
        Assert.Equal("1.30.0", OrtRuntime.Shared.Version);
        Assert.Same(OrtRuntime.Shared, OrtRuntime.Shared);
    }

    [Fact]
    public void Shared_FreshProcessWithBadVariable_ExitsWithMessageNamingVariable()
    {
        var (exitCode, output) = OrtTestEnvironment.RunProbe("/nonexistent/edgehub/libonnxruntime.so.1");
        Assert.True(exitCode == 1, $"exit {exitCode}: {output}");
        Assert.Contains("EDGEHUB_ORT_LIBRARY=/nonexistent/edgehub/libonnxruntime.so.1 does not exist", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Shared_FreshProcessWithoutVariableOrLibrary_ExitsWithMessageNamingVariable()
    {
        var (exitCode, output) = OrtTestEnvironment.RunProbe(null);
        Assert.True(exitCode == 1, $"exit {exitCode}: {output}");
        Assert.Contains("EDGEHUB_ORT_LIBRARY is not set", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Shared_FreshProcessWithGoodVariable_Loads()
    {
        var (exitCode, output) = OrtTestEnvironment.RunProbe(OrtTestEnvironment.LibraryPath);
        Assert.True(exitCode == 0, $"exit {exitCode}: {output}");
        Assert.Contains("loaded 1.30.0", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingPath_MessageNamesEnvironmentVariable()
    {
        var ex = Assert.Throws<OnnxRuntimeException>(() => OrtRuntime.Load("/nonexistent/edgehub/libonnxruntime.so.1"));
        Assert.Contains("EDGEHUB_ORT_LIBRARY", ex.Message, StringComparison.Ordinal);
        Assert.Contains("/nonexistent/edgehub/libonnxruntime.so.1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolver_EnvironmentPointsAtMissingFile_DoesNotFallBackAndNamesVariable()
    {
        var ex = Assert.Throws<OnnxRuntimeException>(
            () => OrtLibraryResolver.Load("/nonexistent/libonnxruntime.so.1", AppContext.BaseDirectory, out _));
        Assert.Contains("EDGEHUB_ORT_LIBRARY=/nonexistent/libonnxruntime.so.1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolver_NothingAnywhere_MessageNamesVariableAndFolder()
    {
        var empty = Directory.CreateTempSubdirectory("edgehub-ort-empty-");
        try
        {
            var ex = Assert.Throws<OnnxRuntimeException>(() => OrtLibraryResolver.Load(null, empty.FullName, out _, NothingOnSystemPath));
            Assert.Contains("EDGEHUB_ORT_LIBRARY is not set", ex.Message, StringComparison.Ordinal);
            Assert.Contains(empty.FullName, ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            empty.Delete(recursive: true);
        }
    }

    [Fact]
    public void Resolver_SystemPath_IsTriedAfterApplicationFolder()
    {
        var empty = Directory.CreateTempSubdirectory("edgehub-ort-empty-");
        try
        {
            var tried = new List<string>();
            var handle = OrtLibraryResolver.Load(null, empty.FullName, out var from, (string name, out nint h) =>
            {
                tried.Add(name);
                h = name == "libonnxruntime.so" ? 42 : 0;
                return h != 0;
            });
            Assert.Equal(42, handle);
            Assert.Equal("libonnxruntime.so", from);
            Assert.Equal(["libonnxruntime.so.1", "libonnxruntime.so"], tried);
        }
        finally
        {
            empty.Delete(recursive: true);
        }
    }

    private static bool NothingOnSystemPath(string name, out nint handle)
    {
        handle = 0;
        return false;
    }

    [Fact]
    public void Resolver_ApplicationFolder_IsUsedWhenVariableUnset()
    {
        var folder = Directory.CreateTempSubdirectory("edgehub-ort-app-");
        try
        {
            File.CreateSymbolicLink(Path.Combine(folder.FullName, "libonnxruntime.so.1"), OrtTestEnvironment.LibraryPath);
            var handle = OrtLibraryResolver.Load("", folder.FullName, out var from);
            Assert.NotEqual(0, handle);
            Assert.Equal(Path.Combine(folder.FullName, "libonnxruntime.so.1"), from);
            Assert.NotEqual(0, OrtLibraryResolver.GetApiBase(handle, from));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void Load_LibraryThatIsNotOrt_SaysSoAndNamesVariable()
    {
        var notOrt = new[] { "/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/x86_64-linux-gnu/libz.so.1", "/lib/x86_64-linux-gnu/libm.so.6" }
            .First(File.Exists);
        var ex = Assert.Throws<OnnxRuntimeException>(() => OrtRuntime.Load(notOrt));
        Assert.Contains("is not ONNX Runtime", ex.Message, StringComparison.Ordinal);
        Assert.Contains("EDGEHUB_ORT_LIBRARY", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_GarbageFile_ReportsLoaderErrorAndNamesVariable()
    {
        var path = Path.Combine(Path.GetTempPath(), $"edgehub-garbage-{Guid.NewGuid():N}.so");
        File.WriteAllBytes(path, "definitely not an ELF shared object"u8.ToArray());
        try
        {
            var ex = Assert.Throws<OnnxRuntimeException>(() => OrtRuntime.Load(path));
            Assert.Contains("could not be loaded", ex.Message, StringComparison.Ordinal);
            Assert.Contains("EDGEHUB_ORT_LIBRARY", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Load_LibraryOlderThanRequestedApi_SaysTooOldAndNamesVariable()
    {
        // No ORT release has C API 999, so 1.30.0 plays the part of a library too old for what we ask.
        var ex = Assert.Throws<OnnxRuntimeException>(() => OrtRuntime.Load(OrtTestEnvironment.LibraryPath, 999));
        Assert.Contains("ONNX Runtime 1.30.0", ex.Message, StringComparison.Ordinal);
        Assert.Contains("is too old", ex.Message, StringComparison.Ordinal);
        Assert.Contains("C API version 999", ex.Message, StringComparison.Ordinal);
        Assert.Contains("EDGEHUB_ORT_LIBRARY", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ExplicitRealLibrary_ReportsVersion()
    {
        var runtime = OrtRuntime.Load(OrtTestEnvironment.LibraryPath);
        Assert.Equal("1.30.0", runtime.Version);
        Assert.Equal(OrtTestEnvironment.LibraryPath, runtime.LibraryPath);
    }
}
