using EdgeHub.Common;
using EdgeHub.Testing;

namespace EdgeHub.Common.Tests;

public sealed class AtomicFileTests
{
    [Fact]
    public void Write_ExistingFile_ReplacedWholeAndNoTempLeft()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "sub", "state.json");
        AtomicFile.Write(path, "old"u8);
        AtomicFile.Write(path, "new content"u8);
        Assert.Equal("new content", File.ReadAllText(path));
        Assert.Equal(["state.json"], Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName));
    }

    [Fact]
    public void Write_WriterThrows_TargetUntouchedAndTempRemoved()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "state.json");
        AtomicFile.Write(path, "kept"u8);
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write("half"u8);
            throw new InvalidOperationException("writer failed");
        }));
        Assert.Equal("kept", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void TryCreate_Existing_ReturnsFalseAndKeepsFirst()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "00000000000000000001.json");
        Assert.True(AtomicFile.TryCreate(path, "first"u8));
        Assert.False(AtomicFile.TryCreate(path, "second"u8));
        Assert.Equal("first", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public async Task TryCreate_ManyRacers_ExactlyOneWins()
    {
        using var dir = new TempDir();
        for (var round = 0; round < 20; round++)
        {
            var path = Path.Combine(dir.Path, $"v{round}.json");
            using var start = new Barrier(8);
            var tasks = Enumerable.Range(0, 8).Select(i => Task.Run(() =>
            {
                start.SignalAndWait();
                return AtomicFile.TryCreate(path, System.Text.Encoding.UTF8.GetBytes($"writer {i}")) ? i : -1;
            })).ToArray();
            var winners = (await Task.WhenAll(tasks)).Where(w => w >= 0).ToArray();
            var winner = Assert.Single(winners);
            Assert.Equal($"writer {winner}", File.ReadAllText(path));
        }
        Assert.Equal(20, Directory.GetFiles(dir.Path).Length);
    }

    [Fact]
    public void WriteText_OwnerOnly_FileModeIsUserReadWrite()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "operator.token");
        AtomicFile.WriteText(path, "secret", AtomicFileOptions.OwnerOnly);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.True(AtomicFile.TryCreate(path + "2", "x"u8, AtomicFileOptions.OwnerOnly));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path + "2"));
    }
}
