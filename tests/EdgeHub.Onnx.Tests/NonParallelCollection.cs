namespace EdgeHub.Onnx.Tests;

/// <summary>Tests that measure process-wide allocation run alone, after the parallel ones, so other tests' garbage does not count.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NonParallelCollection
{
    public const string Name = "non-parallel";
}
