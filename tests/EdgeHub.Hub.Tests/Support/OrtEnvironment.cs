using System.Runtime.CompilerServices;
using EdgeHub.Testing;

namespace EdgeHub.Hub.Tests.Support;

/// <summary>Points EDGEHUB_ORT_LIBRARY at the repository's cached ORT when the run did not set it (the real edges load models with it).</summary>
internal static class OrtEnvironment
{
#pragma warning disable CA2255 // Must run before any edge agent touches OrtRuntime.Shared.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Initialize()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("EDGEHUB_ORT_LIBRARY")))
        {
            var cached = Path.Combine(RepoPaths.Root, ".cache", "ort", "1.30.0", "libonnxruntime.so.1");
            if (File.Exists(cached))
            {
                Environment.SetEnvironmentVariable("EDGEHUB_ORT_LIBRARY", cached);
            }
        }
    }
}
