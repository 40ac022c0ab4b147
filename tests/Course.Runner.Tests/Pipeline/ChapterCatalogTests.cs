using Course.Runner.Cli;
using Course.Runner.Pipeline;
using Course.Runner.Tests.Fixtures;

namespace Course.Runner.Tests.Pipeline;

public sealed class ChapterCatalogTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public ChapterCatalogTests()
    {
        foreach (var name in new[] { "02-second.ipynb", "01-first.ipynb", "10-tenth.ipynb", "scratch.ipynb", "1-short.ipynb", "03-notes.md" })
        {
            File.WriteAllText(Path.Combine(_temp.Path, name), "{}");
        }
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Discover_ListsOnlyNumberedNotebooks_Sorted()
    {
        var chapters = ChapterCatalog.Discover(_temp.Path);

        Assert.Equal(["01-first", "02-second", "10-tenth"], chapters.Select(c => c.Name));
        Assert.Equal("01", chapters[0].Number);
        Assert.Equal(Path.Combine(_temp.Path, "01-first.ipynb"), chapters[0].Path);
    }

    [Theory]
    [InlineData("02", "02-second")]
    [InlineData("2", "02-second")]
    [InlineData("01-fi", "01-first")]
    public void Select_ByPrefix_FindsTheChapter(string selector, string expected)
    {
        var selected = ChapterCatalog.Select(ChapterCatalog.Discover(_temp.Path), [selector]);

        Assert.Equal(expected, Assert.Single(selected).Name);
    }

    [Fact]
    public void Select_UnknownChapter_ListsTheAvailableOnes()
    {
        var error = Assert.Throws<UsageException>(() => ChapterCatalog.Select(ChapterCatalog.Discover(_temp.Path), ["07"]));

        Assert.Contains("--chapter 07", error.Message);
        Assert.Contains("01-first, 02-second, 10-tenth", error.Message);
    }

    [Fact]
    public void Discover_FolderWithoutChapters_SaysWhatIsExpected()
    {
        var empty = Directory.CreateDirectory(Path.Combine(_temp.Path, "empty")).FullName;

        var error = Assert.Throws<CourseException>(() => ChapterCatalog.Discover(empty));

        Assert.Contains("NN-name.ipynb", error.Message);
        Assert.Contains("--notebooks", error.Message);
    }

    [Fact]
    public void FindRoot_FromANestedFolder_FindsTheFolderWithCourseSln()
    {
        File.WriteAllText(Path.Combine(_temp.Path, RepositoryLayout.MarkerFile), "");
        var nested = Directory.CreateDirectory(Path.Combine(_temp.Path, "a", "b")).FullName;

        Assert.Equal(_temp.Path, RepositoryLayout.FindRoot(nested));
        Assert.Equal(Path.Combine(_temp.Path, "out", AddressInUse.Native.OsInfo.Family), RepositoryLayout.OutFolder(_temp.Path));
    }
}
