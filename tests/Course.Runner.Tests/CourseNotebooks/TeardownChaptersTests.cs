using Course.Runner.Cli;
using Course.Runner.Notebooks;
using Course.Runner.Tests.Fixtures;

namespace Course.Runner.Tests.CourseNotebooks;

/// <summary>Chapters 02–04 (the close, TIME_WAIT, half-closed connections) run headless in quick mode with no failed cell.</summary>
[Collection(NotebookRunCollection.Name)]
public sealed class TeardownChaptersTests : IDisposable
{
    private static readonly string Root = RepositoryLayout.FindRoot(AppContext.BaseDirectory)
        ?? throw new InvalidOperationException("The tests run from inside the repository (a folder holding Course.sln).");

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("02-the-four-way-close")]
    [InlineData("03-time-wait")]
    [InlineData("04-half-closed-connections")]
    public async Task Chapter_QuickRun_EveryCellSucceedsAndRecordsResults(string chapter)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var outFolder = Path.Combine(_temp.Path, "out");
        var images = Path.Combine(_temp.Path, "images");
        string[] args = ["run", "--quick", "--chapter", chapter[..2], "--notebooks", RepositoryLayout.NotebooksFolder(Root), "--out", outFolder, "--images", images];

        var code = await CommandLine.RunAsync(args, new CommandContext(output, error, Root, CancellationToken.None), CommandLine.DefaultCommands());

        Assert.True(code == 0, $"course run --chapter {chapter[..2]} exited {code}.\n{output}\n{error}");
        var executed = NotebookReader.ReadFile(Path.Combine(outFolder, chapter + ".ipynb"));
        Assert.DoesNotContain(executed.Cells.SelectMany(c => c.Outputs), o => o is ErrorOutput);
        Assert.All(executed.Cells.Where(c => c.CellType == CellType.Code), c => Assert.NotNull(c.ExecutionCount));
        Assert.True(File.Exists(Path.Combine(images, "results.json")));
    }
}
