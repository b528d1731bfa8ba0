using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace EdgeHub.Onnx.Tests;

/// <summary>Runs the Debian python3-onnx checker, and this test assembly as a fresh process for the library-loading probes.</summary>
internal static class OrtTestEnvironment
{
    /// <summary>Set in a probe subprocess so the module initializer leaves EDGEHUB_ORT_LIBRARY exactly as the test set it.</summary>
    public const string ProbeMarker = "EDGEHUB_ONNX_TEST_PROBE";

    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>Runs onnx.checker.check_model(full_check=True) with Debian's python3-onnx; returns (exit code, stderr).</summary>
    public static (int ExitCode, string Output) CheckWithPython(string modelPath) =>
        RunPython(
            "import sys, onnx; m = onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True); print('ok', m.ir_version, m.opset_import[0].version)",
            modelPath);

    /// <summary>Runs a Python snippet with Debian's python3 (which has python3-onnx); arguments arrive in sys.argv[1:].</summary>
    public static (int ExitCode, string Output) RunPython(string script, params string[] arguments)
    {
        const string python = "/usr/bin/python3";
        if (!File.Exists(python))
        {
            throw new InvalidOperationException("/usr/bin/python3 is missing; install python3-onnx (./edgehub test installs it)");
        }
        var start = new ProcessStartInfo(python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        // The pyenv python on PATH lacks onnx; make sure Debian's site-packages are what Python sees.
        start.Environment.Remove("PYTHONPATH");
        start.Environment.Remove("PYTHONHOME");
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start python3");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("python3 did not finish within 60 s");
        }
        return (process.ExitCode, stdout.Result + stderr);
    }

    /// <summary>Runs this test assembly as a fresh process (<see cref="ProbeProgram"/>) with EDGEHUB_ORT_LIBRARY set to <paramref name="ortLibrary"/> (null = unset).</summary>
    public static (int ExitCode, string Output) RunProbe(string? ortLibrary)
    {
        var assembly = typeof(ProbeProgram).Assembly.Location;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(assembly);
        start.ArgumentList.Add("probe-ort");
        start.Environment[ProbeMarker] = "1";
        start.Environment.Remove("EDGEHUB_ORT_LIBRARY");
        if (ortLibrary != null)
        {
            start.Environment["EDGEHUB_ORT_LIBRARY"] = ortLibrary;
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("the probe process did not finish within 60 s");
        }
        return (process.ExitCode, stdout.Result + stderr);
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EdgeHub.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"EdgeHub.sln not found above {AppContext.BaseDirectory}");
    }
}
