namespace EdgeHub.Onnx.Tests;

/// <summary>
/// Entry point when this test assembly is started as a process (the test runner never calls it): <c>probe-ort</c> loads ONNX
/// Runtime in a fresh process, where library resolution has not happened yet, runs a small MLP once, and prints the outcome.
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
            var weights = TestModels.RandomMlp(3, 8, 4, 3);
            using var session = OnnxSession.FromBytes(OnnxModelFactory.CreateMlpClassifier(weights, TestModels.Metadata()));
            using var runner = session.CreateRunner(2);
            var rows = TestModels.RandomRows(4, 2, weights);
            runner.Run(rows);
            var expected = MlpReference.Predict(weights, rows.AsSpan(0, 8), new float[3]);
            Console.WriteLine($"loaded {OrtLibrary.Version} from {OrtLibrary.LibraryPath}; label {runner.OutputInt64(1, 2)[0]} (reference {expected})");
            return 0;
        }
        catch (OnnxInferenceException ex)
        {
            Console.WriteLine(ex.Message);
            return 1;
        }
    }
}
