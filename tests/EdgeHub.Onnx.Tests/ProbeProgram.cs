namespace EdgeHub.Onnx.Tests;

/// <summary>
/// Entry point when this test assembly is started as a process (the test runner never calls it): <c>probe-ort</c> touches
/// <see cref="OrtRuntime.Shared"/> in a fresh process, where library resolution has not happened yet, and prints the outcome.
/// </summary>
public static class ProbeProgram
{
    public static int Main(string[] args)
    {
        if (args.Length != 1 || args[0] != "probe-ort")
        {
            Console.Error.WriteLine("usage: EdgeHub.Onnx.Tests probe-ort");
            return 2;
        }
        try
        {
            Console.WriteLine($"loaded {OrtRuntime.Shared.Version}");
            return 0;
        }
        catch (OnnxRuntimeException ex)
        {
            Console.WriteLine(ex.Message);
            return 1;
        }
    }
}
