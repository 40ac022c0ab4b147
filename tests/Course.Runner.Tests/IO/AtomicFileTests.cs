using System.Text;
using Course.Runner.IO;
using Course.Runner.Tests.Fixtures;

namespace Course.Runner.Tests.IO;

public sealed class AtomicFileTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void WriteAllText_ReplacesTheFile_LeavesNoTempFileBeside()
    {
        var path = Path.Combine(_temp.Path, "sub", "results.json");
        AtomicFile.WriteAllText(path, "old");

        AtomicFile.WriteAllText(path, "new é");

        Assert.Equal("new é"u8.ToArray(), File.ReadAllBytes(path));
        Assert.Equal(["results.json"], Directory.GetFileSystemEntries(Path.GetDirectoryName(path)!).Select(Path.GetFileName));
    }

    [Fact]
    public void WriteAllText_ReaderHoldingTheOldFile_StillReadsTheWholeOldFile()
    {
        // The rename swaps the name to a new file; an open reader keeps the old one whole instead of seeing it truncated.
        var path = Path.Combine(_temp.Path, "page.html");
        var old = new string('a', 100_000);
        AtomicFile.WriteAllText(path, old);
        using var reader = new StreamReader(path, Encoding.UTF8);

        AtomicFile.WriteAllText(path, "b");

        Assert.Equal(old, reader.ReadToEnd());
        Assert.Equal("b", File.ReadAllText(path));
    }

    [Fact]
    public void WriteAllBytes_TargetIsAFolder_ThrowsAndRemovesItsTempFile()
    {
        var path = Path.Combine(_temp.Path, "taken");
        Directory.CreateDirectory(path);

        Assert.ThrowsAny<IOException>(() => AtomicFile.WriteAllBytes(path, [1, 2, 3]));

        Assert.Equal(["taken"], Directory.GetFileSystemEntries(_temp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void Sweep_RemovesDeadProcessesTempFilesOnly()
    {
        var dead = Path.Combine(_temp.Path, $".x.json{AtomicFile.TempMarker}999999999-{Guid.NewGuid():N}");
        var mine = Path.Combine(_temp.Path, $".x.json{AtomicFile.TempMarker}{Environment.ProcessId}-{Guid.NewGuid():N}");
        var other = Path.Combine(_temp.Path, "x.json");
        foreach (var file in new[] { dead, mine, other })
        {
            File.WriteAllText(file, "");
        }

        var removed = Leftovers.Sweep(_temp.Path);

        Assert.Equal([dead], removed);
        Assert.True(File.Exists(mine));
        Assert.True(File.Exists(other));
    }
}
