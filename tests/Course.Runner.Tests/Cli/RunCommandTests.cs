using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Course.Runner.Charts;
using Course.Runner.Cli;
using Course.Runner.Html;
using Course.Runner.Notebooks;
using Course.Runner.Tests.Fixtures;

namespace Course.Runner.Tests.Cli;

[Collection(NotebookRunCollection.Name)]
public sealed class RunCommandTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly RecordingExporter _exporter = new();

    public RunCommandTests()
    {
        FixtureLibrary.BuildInto(Path.Combine(_temp.Path, "lib"));
        var first = Notebook.CreatePolyglot();
        first.Add(NotebookCell.Markdown("# 01 — First\n\nSee [the next chapter](02-second.ipynb)."));
        first.Add(NotebookCell.Code("#r \"../lib/Fixture.dll\"\nusing Fixture;", "setup"));
        first.Add(NotebookCell.Code("var quick = false;", "params")).AddTag("parameters");
        first.Add(NotebookCell.Code("Console.WriteLine($\"quick={quick}\");\ndisplay(new Measurement(\"m1\", 0.5));", "measure"));
        first.Add(NotebookCell.Code("new LineChart(\"rtt\")", "chart"));
        NotebookWriter.WriteFile(first, Path.Combine(Notebooks, "01-first.ipynb"));

        WriteSecond(fail: false);
    }

    private string Notebooks => Path.Combine(_temp.Path, "notebooks");

    private string Out => Path.Combine(_temp.Path, "out");

    private string Images => Path.Combine(_temp.Path, "images");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Run_AllChapters_WritesNotebooksPagesIndexResultsAndExportsCharts()
    {
        var (code, output, _) = await RunAsync("--quick");

        Assert.Equal(0, code);
        foreach (var file in new[] { "01-first.ipynb", "01-first.html", "02-second.ipynb", "02-second.html", "index.html" })
        {
            Assert.True(File.Exists(Path.Combine(Out, file)), $"{file} was written");
        }

        var executed = NotebookReader.ReadFile(Path.Combine(Out, "01-first.ipynb"));
        Assert.Contains(executed.Cells, c => c.HasTag("injected-parameters"));
        Assert.Contains("quick=True", TestNotebooks.TextOf(executed.Cells.Single(c => c.Id == "measure")));

        var results = JsonNode.Parse(File.ReadAllText(Path.Combine(Images, "results.json")))!;
        var onlyCase = Assert.Single(results["cases"]!.AsArray());
        Assert.Equal("01-first", (string?)onlyCase!["chapter"]);
        Assert.Equal("m1", (string?)onlyCase["case"]);
        Assert.Equal("ok", (string?)results["chapters"]!["02-second"]!["status"]);

        var call = Assert.Single(_exporter.Calls);
        Assert.Equal(Images, call.Directory);
        Assert.Equal(["01-first-rtt.svg"], call.Charts.Select(c => c.fileName));
        Assert.Equal(1, _exporter.Disposed);

        Assert.Matches(@"\[01-first\] cell 4/5 \(id measure\) \.\.\. ok", output);
        Assert.Matches(@"01-first\s+ok\s+\d+\.\d s", output);
        Assert.Matches(@"02-second\s+ok", output);
    }

    [Fact]
    public async Task Run_Pages_LinkNeighboursAndIndex_AndReRunDoesNotDuplicateLinks()
    {
        await RunAsync();
        await RunAsync();

        var first = File.ReadAllText(Path.Combine(Out, "01-first.html"));
        var second = File.ReadAllText(Path.Combine(Out, "02-second.html"));
        var index = File.ReadAllText(Path.Combine(Out, "index.html"));

        Assert.Equal(2, Regex.Count(first, "rel=\"next\" href=\"02-second.html\""));
        Assert.DoesNotContain("rel=\"prev\"", first);
        Assert.Equal(2, Regex.Count(second, "rel=\"prev\" href=\"01-first.html\""));
        Assert.Contains("href=\"02-second.html\">the next chapter</a>", first);
        Assert.Equal(1, Regex.Count(first, Regex.Escape(ChapterPageRenderer.PlotlyMarker)));
        Assert.Contains("<title>01 — First</title>", first);
        Assert.Equal(1, Regex.Count(index, "href=\"01-first.html\""));
        Assert.Equal(1, Regex.Count(index, "href=\"02-second.html\""));
    }

    [Fact]
    public async Task Run_OneFailingChapter_ReturnsNonZero_KeepsOtherChaptersResults()
    {
        Assert.Equal(0, (await RunAsync()).Code);
        WriteSecond(fail: true);

        var (code, output, error) = await RunAsync("--chapter", "02");

        Assert.Equal(1, code);
        Assert.Matches(@"02-second\s+failed", output);
        Assert.Contains("second chapter broke", error);
        var results = JsonNode.Parse(File.ReadAllText(Path.Combine(Images, "results.json")))!;
        Assert.Equal("ok", (string?)results["chapters"]!["01-first"]!["status"]);
        Assert.Equal("failed", (string?)results["chapters"]!["02-second"]!["status"]);
        Assert.Equal("m1", (string?)results["cases"]![0]!["case"]);
        Assert.Contains("did not run to the end", File.ReadAllText(Path.Combine(Out, "02-second.html")));
    }

    [Fact]
    public async Task Run_UnknownChapter_ListsAvailableChaptersAndReturns2()
    {
        var (code, _, error) = await RunAsync("--chapter", "09");

        Assert.Equal(2, code);
        Assert.Contains("Available chapters: 01-first, 02-second", error);
    }

    [Fact]
    public async Task Run_MalformedNotebook_FailsThatChapterWithTheFileAndPosition()
    {
        File.WriteAllText(Path.Combine(Notebooks, "03-broken.ipynb"), "{\"cells\": [}");

        var (code, _, error) = await RunAsync("--chapter", "03");

        Assert.Equal(1, code);
        Assert.Contains("03-broken.ipynb is not valid JSON", error);
        Assert.Contains("line 1, position 12", error);
    }

    private void WriteSecond(bool fail)
    {
        var second = Notebook.CreatePolyglot();
        second.Add(NotebookCell.Markdown("# 02 — Second"));
        second.Add(NotebookCell.Code(fail ? "throw new Exception(\"second chapter broke\");" : "1 + 1", "only"));
        NotebookWriter.WriteFile(second, Path.Combine(Notebooks, "02-second.ipynb"));
    }

    private async Task<(int Code, string Output, string Error)> RunAsync(params string[] extra)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var command = new RunCommand(_ => _exporter, new FixedPlotlyScriptSource("/* plotly stand-in */"));
        string[] args = ["run", "--notebooks", Notebooks, "--out", Out, "--images", Images, .. extra];
        var code = await CommandLine.RunAsync(args, new CommandContext(output, error, _temp.Path, CancellationToken.None), [command]);
        return (code, output.ToString(), error.ToString());
    }

    private sealed class RecordingExporter : IChartImageExporter
    {
        public List<(IReadOnlyList<(string fileName, string figureJson)> Charts, string Directory)> Calls { get; } = [];

        public int Disposed { get; private set; }

        public Task ExportAsync(IReadOnlyList<(string fileName, string figureJson)> charts, string directory, CancellationToken ct = default)
        {
            Calls.Add((charts, directory));
            return Task.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            Disposed++;
            return ValueTask.CompletedTask;
        }
    }
}
