using Course.Runner.Cli;
using Course.Runner.Html;
using Course.Runner.Notebooks;
using Course.Runner.Pipeline;
using Microsoft.DotNet.Interactive.Documents;

namespace Course.Runner.Tests.Html;

/// <summary>The README's chapter table comes from the notebooks and cannot drift from them.</summary>
public sealed class ReadmeChapterTableTests : IDisposable
{
    private static readonly string Root = Checkout.Root;

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static ReadmeChapterTable.Row Row(string path, string title, params string[] objectives) =>
        new(path, new ChapterSummary(title, objectives, 10, true));

    [Fact]
    public void CommittedReadme_ChapterTable_IsWhatTheGeneratorMakesFromTheNotebooks()
    {
        var readme = File.ReadAllText(Path.Combine(Root, "README.md"));
        var rows = ChapterCatalog.Discover(RepositoryLayout.NotebooksFolder(Root))
            .Select(c => new ReadmeChapterTable.Row(Path.GetRelativePath(Root, c.Path), ChapterSummary.Of(NotebookReader.ReadFile(c.Path), c.Name)));

        var generated = ReadmeChapterTable.Apply(readme, ReadmeChapterTable.Table(rows));

        Assert.True(generated == readme, "README.md's chapter table is out of date; run: dotnet run --project lib/Course.Runner -- nav");
        Assert.Contains("| 01 | [Address already in use](notebooks/01-address-already-in-use.ipynb) | ", readme);
    }

    [Fact]
    public void Table_TitleWithNumberAndObjectiveWithPipe_NumberInItsColumnAndPipeEscaped()
    {
        var table = ReadmeChapterTable.Table([Row("notebooks/03-time-wait.ipynb", "03 — TIME_WAIT", "measure it", "read `a | b`")]);

        Assert.Equal("| # | chapter | you will… |\n|---|---|---|\n| 03 | [TIME_WAIT](notebooks/03-time-wait.ipynb) | measure it; read `a \\| b` |\n", table);
    }

    [Fact]
    public void Apply_Twice_SecondIsIdenticalAndTextOutsideTheMarkersIsKept()
    {
        var readme = $"# Course\n\nBefore.\n\n{ReadmeChapterTable.BeginMarker}\n| old | table |\n{ReadmeChapterTable.EndMarker}\n\nAfter.\n";
        var table = ReadmeChapterTable.Table([Row("notebooks/01-a.ipynb", "01 — A", "do a")]);

        var once = ReadmeChapterTable.Apply(readme, table);
        var twice = ReadmeChapterTable.Apply(once, table);

        Assert.Equal(once, twice);
        Assert.StartsWith("# Course\n\nBefore.\n\n" + ReadmeChapterTable.BeginMarker + "\n| # |", once);
        Assert.EndsWith("| do a |\n\n" + ReadmeChapterTable.EndMarker + "\n\nAfter.\n", once);
        Assert.DoesNotContain("old", once);
    }

    [Theory]
    [InlineData("no markers at all")]
    [InlineData("<!-- /chapters --> before <!-- chapters: generated from the notebooks by `course nav`; edit the notebooks, not this table -->")]
    public void Apply_MarkersMissingOrOutOfOrder_ThrowsNamingBothMarkers(string readme)
    {
        var error = Assert.Throws<CourseException>(() => ReadmeChapterTable.Apply(readme, "| table |\n"));

        Assert.Contains(ReadmeChapterTable.BeginMarker, error.Message);
        Assert.Contains(ReadmeChapterTable.EndMarker, error.Message);
    }

    [Fact]
    public async Task Nav_ReadmeBesideTheNotebooks_WritesTheTableThenCheckPasses()
    {
        var notebooks = Directory.CreateDirectory(Path.Combine(_temp.Path, "notebooks")).FullName;
        var notebook = NotebookCells.CreatePolyglot();
        notebook.AddCell(NotebookCells.Markdown("# 01 — First\n\n**In this chapter you will…**\n\n- bind a port;\n- watch it fail.", "title"));
        NotebookWriter.WriteFile(notebook, Path.Combine(notebooks, "01-first.ipynb"));
        var readmePath = Path.Combine(_temp.Path, "README.md");
        File.WriteAllText(readmePath, $"# Test\n\n{ReadmeChapterTable.BeginMarker}\n{ReadmeChapterTable.EndMarker}\n");

        var check = await NavAsync(notebooks, "--check");
        var write = await NavAsync(notebooks);
        var recheck = await NavAsync(notebooks, "--check");

        Assert.Equal(1, check);
        Assert.Equal(0, write);
        Assert.Equal(0, recheck);
        Assert.Contains("| 01 | [First](notebooks/01-first.ipynb) | bind a port; watch it fail |", File.ReadAllText(readmePath));
    }

    private async Task<int> NavAsync(string notebooks, params string[] extra)
    {
        string[] args = ["nav", "--notebooks", notebooks, .. extra];
        return await CommandLine.RunAsync(args, new CommandContext(new StringWriter(), new StringWriter(), _temp.Path, CancellationToken.None), [new NavCommand()]);
    }
}
