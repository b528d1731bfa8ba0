namespace EdgeHub.Onnx.Tests;

/// <summary>After a session loads, ORT's code pages that only loading touched go back, and inference still runs.</summary>
public sealed class CodePagesTests
{
    private static readonly MlpWeights Weights = TestModels.RandomMlp(17, 32, 64, 32, 5);

    [Fact]
    public void SessionLoad_GivesBackOrtCodePages_AndTheModelStillRuns()
    {
        var before = CodePages.OrtBytesReleased;
        using var session = OnnxSession.FromBytes(OnnxModelFactory.CreateMlpClassifier(Weights, TestModels.Metadata()));
        var released = CodePages.OrtBytesReleased - before;
        Assert.True(released > 256 * 1024, $"released {released} bytes of ORT code after a session load");

        // The dropped pages come back from the file on use: outputs are exact.
        using var runner = session.CreateRunner(4);
        TestModels.AssertRunMatchesReference(runner, Weights, TestModels.RandomRows(5, 4, Weights));
    }

    [Fact]
    public void ReadMappings_ParsesRangesPermissionsPathsAndWrittenPages()
    {
        var path = Path.Combine(Path.GetTempPath(), $"edgehub-smaps-{Guid.NewGuid():N}");
        File.WriteAllText(path, """
            7fade8f3c000-7fadeb1c9000 r-xp 0013c000 fe:00 11657412                   /opt/ort/libonnxruntime.so.1
            Size:              36404 kB
            Rss:               20076 kB
            Private_Dirty:         0 kB
            Anonymous:             0 kB
            VmFlags: rd ex mr mw me
            7fadeb9ad000-7fadeb9b5000 rw-p 02bac000 fe:00 11657412                   /opt/ort/libonnxruntime.so.1
            Rss:                  32 kB
            Private_Dirty:        32 kB
            Anonymous:            32 kB
            7fb9f0e20000-7fb9f0e24000 r-xs 000b1000 00:01 68703                      /memfd:doublemapper (deleted)
            Rss:                  16 kB
            7fb9f1000000-7fb9f1001000 rw-p 00000000 00:00 0
            Rss:                   4 kB
            Anonymous:             4 kB
            """);
        try
        {
            var maps = CodePages.ReadMappings(path);
            Assert.Equal(4, maps.Count);
            Assert.Equal(new CodePages.Mapping(0x7fade8f3c000, 0x7fadeb1c9000, true, false, "/opt/ort/libonnxruntime.so.1", 20076, 0), maps[0]);
            Assert.Equal(new CodePages.Mapping(0x7fadeb9ad000, 0x7fadeb9b5000, false, true, "/opt/ort/libonnxruntime.so.1", 32, 64), maps[1]);
            Assert.Equal("/memfd:doublemapper (deleted)", maps[2].Path);
            Assert.True(maps[2].Executable);
            Assert.Null(maps[3].Path);
            Assert.Equal(4, maps[3].WrittenKb);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
