using System.Diagnostics;
using EdgeHub.Testing;

namespace EdgeHub.Learning.Tests;

/// <summary>Runs Debian's onnx checker.</summary>
internal static class TestEnvironment
{
    /// <summary>onnx.checker.check_model(full_check=True) via /usr/bin/python3; returns (exit code, output).</summary>
    public static (int ExitCode, string Output) CheckOnnx(string modelPath)
    {
        const string python = "/usr/bin/python3";
        Assert.True(File.Exists(python), "Debian python3 with python3-onnx is needed (apt-get install python3-onnx); ./edgehub test installs it");
        var psi = new ProcessStartInfo(python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("import sys, onnx; m = onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True); print('ok', {p.key: p.value for p in m.metadata_props}.get('feature_schema_id'))");
        psi.ArgumentList.Add(modelPath);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(60_000), "python onnx checker did not finish within 60 s");
        return (p.ExitCode, stdout.Result + stderr);
    }
}
