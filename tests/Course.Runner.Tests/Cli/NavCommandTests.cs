using System.Text.RegularExpressions;
using Course.Runner.Cli;
using Course.Runner.Html;
using Course.Runner.Notebooks;
using Course.Runner.Tests.Fixtures;
using Microsoft.DotNet.Interactive.Documents;

namespace Course.Runner.Tests.Cli;

public sealed class NavCommandTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public NavCommandTests()
    {
        foreach (var (name, title) in new[] { ("00-start", "00 — Start"), ("01-first", "01 — First"), ("02-last", "02 — Last [draft]") })
        {
            var notebook = NotebookCells.CreatePolyglot();
            notebook.AddCell(NotebookCells.Markdown($"# {title}\n\nBody.", "title"));
            notebook.AddCell(NotebookCells.Code("1 + 1", "code"));
            NotebookWriter.WriteFile(notebook, Path.Combine(_temp.Path, name + ".ipynb"));
        }
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Nav_TwiceOverChapters_AddsOneCellLinkingNeighboursAndSecondRunIsByteIdentical()
    {
        Assert.Equal(0, (await RunAsync()).Code);
        var first = Files();

        var (code, output, _) = await RunAsync();

        Assert.Equal(0, code);
        Assert.Equal(first, Files());
        Assert.Equal(3, Regex.Count(output, ": unchanged"));
        var middle = NotebookReader.ReadFile(Path.Combine(_temp.Path, "01-first.ipynb"));
        var nav = Assert.Single(middle.Elements, NavigationCell.IsNavigation);
        Assert.Same(middle.Elements[^1], nav);
        Assert.Contains("Previous: [00 — Start](00-start.ipynb)", nav.Contents);
        Assert.Contains("Next: [02 — Last \\[draft\\]](02-last.ipynb)", nav.Contents);
        var firstChapter = NotebookReader.ReadFile(Path.Combine(_temp.Path, "00-start.ipynb")).Elements[^1].Contents;
        Assert.DoesNotContain("Previous:", firstChapter);
    }

    [Fact]
    public async Task Nav_AfterANewChapterAppears_RewritesTheExistingCellInsteadOfAddingOne()
    {
        await RunAsync();
        var extra = NotebookCells.CreatePolyglot();
        extra.AddCell(NotebookCells.Markdown("# 03 — Extra", "title"));
        NotebookWriter.WriteFile(extra, Path.Combine(_temp.Path, "03-extra.ipynb"));

        await RunAsync();

        var last = NotebookReader.ReadFile(Path.Combine(_temp.Path, "02-last.ipynb"));
        Assert.Single(last.Elements, NavigationCell.IsNavigation);
        Assert.Contains("Next: [03 — Extra](03-extra.ipynb)", last.Elements[^1].Contents);
    }

    [Fact]
    public async Task Nav_ChapterWithANewVerdictCell_HidesItsSourceAndKeepsItHidden()
    {
        var path = Path.Combine(_temp.Path, "01-first.ipynb");
        var chapter = NotebookReader.ReadFile(path);
        chapter.AddCell(NotebookCells.Code("text.Check(\"p\", \"A sentence.\", cases, c => c.Ok)", "verdict"));
        NotebookWriter.WriteFile(chapter, path);

        await RunAsync();
        await RunAsync();

        var cells = NotebookReader.ReadFile(path).Elements;
        Assert.True(VerdictCells.IsSourceHidden(cells.Single(c => c.Id == "verdict")));
        Assert.Equal("csharp", Metadata.FindString(cells.Single(c => c.Id == "verdict").Metadata, "polyglot_notebook", "kernelName"));
        Assert.False(VerdictCells.IsSourceHidden(cells.Single(c => c.Id == "code")));
    }

    [Fact]
    public async Task NavCheck_OutOfDate_ReturnsOneAndWritesNothing()
    {
        var before = Files();

        var (code, _, error) = await RunAsync("--check");

        Assert.Equal(1, code);
        Assert.Contains("3 file(s) (notebooks, README.md) need `course nav`", error);
        Assert.Equal(before, Files());
    }

    [Fact]
    public void ChapterPage_NavigationCell_IsNotRenderedTwice()
    {
        var notebook = NotebookCells.CreatePolyglot();
        notebook.AddCell(NotebookCells.Markdown("# T"));
        NavigationCell.Apply(notebook, NavigationCell.Markdown(null, ("02-x.ipynb", "02 — X")));

        var page = new ChapterPageRenderer(new FixedPlotlyScriptSource("")).Render(notebook, new ChapterPageOptions());

        Assert.DoesNotContain("02-x", page);
    }

    private string[] Files() => Directory.GetFiles(_temp.Path, "*.ipynb").Order().Select(File.ReadAllText).ToArray();

    private async Task<(int Code, string Output, string Error)> RunAsync(params string[] extra)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        string[] args = ["nav", "--notebooks", _temp.Path, .. extra];
        var code = await CommandLine.RunAsync(args, new CommandContext(output, error, _temp.Path, CancellationToken.None), [new NavCommand()]);
        return (code, output.ToString(), error.ToString());
    }
}
