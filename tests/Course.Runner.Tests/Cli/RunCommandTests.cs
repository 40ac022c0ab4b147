using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Course.Runner.Charts;
using Course.Runner.Cli;
using Course.Runner.Execution;
using Course.Runner.Html;
using Course.Runner.IO;
using Course.Runner.Notebooks;
using Course.Runner.Pipeline;
using Course.Runner.Tests.Fixtures;
using Microsoft.DotNet.Interactive.Documents;

namespace Course.Runner.Tests.Cli;

[Collection(NotebookRunCollection.Name)]
public sealed class RunCommandTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly RecordingExporter _exporter = new();

    public RunCommandTests()
    {
        FixtureLibrary.BuildInto(Path.Combine(_temp.Path, "lib"));
        var first = NotebookCells.CreatePolyglot();
        first.AddCell(NotebookCells.Markdown("# 01 — First\n\nSee [the next chapter](02-second.ipynb)."));
        first.AddCell(NotebookCells.Code("#r \"../lib/Fixture.dll\"\nusing Fixture;", "setup"));
        first.AddCell(NotebookCells.Code("var quick = false;", "params")).AddTag("parameters");
        first.AddCell(NotebookCells.Code("Console.WriteLine($\"quick={quick}\");\ndisplay(new Measurement(\"m1\", 0.5));", "measure"));
        first.AddCell(NotebookCells.Code("new LineChart(\"rtt\")", "chart"));
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
        Assert.Contains(executed.Elements, c => c.HasTag("injected-parameters"));
        Assert.Contains("quick=True", TestNotebooks.TextOf(executed.Elements.Single(c => c.Id == "measure")));

        var results = JsonNode.Parse(File.ReadAllText(Path.Combine(Images, "results.json")))!;
        var onlyCase = Assert.Single(results["cases"]!.AsArray());
        Assert.Equal("01-first", (string?)onlyCase!["chapter"]);
        Assert.Equal("m1", (string?)onlyCase["case"]);
        Assert.Equal("ok", (string?)results["chapters"]!["02-second"]!["status"]);

        var call = Assert.Single(_exporter.Calls);
        Assert.Equal(["01-first-rtt.svg"], call.Charts.Select(c => c.fileName));
        Assert.Equal(1, _exporter.Disposed);
        // The exporter writes into a staging folder; the image is renamed into images/ and the staging folder is gone.
        Assert.Equal(Images, Path.GetDirectoryName(call.Directory));
        Assert.True(File.Exists(Path.Combine(Images, "01-first-rtt.svg")));
        Assert.Empty(Directory.GetDirectories(Images));

        // The executed notebook's figure output carries the exported image (viewers that run no script draw it).
        var figure = executed.Elements.Single(c => c.Id == "chart").Outputs.MimeData().Single(d => d.ContainsKey(AddressInUse.Display.MimeTypes.Plotly));
        Assert.True(figure.TryGetText(StaticFigureImages.SvgMimeType, out var svg), "the figure output has no SVG");
        Assert.Equal(File.ReadAllText(Path.Combine(Images, "01-first-rtt.svg")), svg);
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
    public async Task Run_TwoChaptersAtOnce_ChapterOneWaitsForChapterTwo_OutputAndResultsStayInChapterOrder()
    {
        // Chapter 01 can only end once chapter 02 has run, so the two really ran at the same time, and 02 finished first.
        var flag = Path.Combine(_temp.Path, "02-ran.flag");
        WriteNotebook("01-first", NotebookCells.Code("#r \"../lib/Fixture.dll\"\nusing Fixture;", "setup"), NotebookCells.Code(WaitForFlag(flag), "wait"),
            NotebookCells.Code("display(new Measurement(\"m01\", 1));", "measure"));
        WriteNotebook("02-second", NotebookCells.Code("#r \"../lib/Fixture.dll\"\nusing Fixture;", "setup"),
            NotebookCells.Code($"System.IO.File.WriteAllText({Literal(flag)}, \"\");\ndisplay(new Measurement(\"m02\", 2));", "measure"));

        var (code, output, error) = await RunAsync("--jobs", "2");

        Assert.True(code == 0, output + error);
        Assert.Contains("saw chapter 02", TestNotebooks.TextOf(NotebookReader.ReadFile(Path.Combine(Out, "01-first.ipynb")).Elements.Single(c => c.Id == "wait")));
        var results = JsonNode.Parse(File.ReadAllText(Path.Combine(Images, "results.json")))!;
        Assert.Equal(["m01", "m02"], results["cases"]!.AsArray().Select(c => (string?)c!["case"]));
        Assert.Equal(["01-first", "02-second"], results["chapters"]!.AsObject().Select(p => p.Key));
        // Every line of chapter 01 comes before the first line of chapter 02, as a one-at-a-time run prints them.
        var lastOfFirst = output.LastIndexOf("[01-first]", StringComparison.Ordinal);
        Assert.True(lastOfFirst >= 0 && lastOfFirst < output.IndexOf("== 02-second", StringComparison.Ordinal), output);
        Assert.True(output.IndexOf("wrote " + Path.Combine(Out, "01-first.ipynb"), StringComparison.Ordinal) < output.IndexOf("== 02-second", StringComparison.Ordinal), output);
        Assert.Matches(@"01-first\s+ok[^\n]*\n02-second\s+ok", output);
    }

    [Fact]
    public async Task Run_TwoChaptersAtOnce_OneFails_TheOtherKeepsItsResults_ExitCode1()
    {
        var flag = Path.Combine(_temp.Path, "02-ran.flag");
        WriteNotebook("01-first", NotebookCells.Code(WaitForFlag(flag), "wait"), NotebookCells.Code("throw new Exception(\"first chapter broke\");", "boom"));
        WriteNotebook("02-second", NotebookCells.Code("#r \"../lib/Fixture.dll\"\nusing Fixture;", "setup"),
            NotebookCells.Code($"System.IO.File.WriteAllText({Literal(flag)}, \"\");\ndisplay(new Measurement(\"m02\", 2));", "measure"));

        var (code, output, error) = await RunAsync("--jobs", "2");

        Assert.Equal(1, code);
        Assert.Contains("01-first failed at code cell 2/2 (id boom)", error);
        Assert.Matches(@"01-first\s+failed", output);
        Assert.Matches(@"02-second\s+ok", output);
        var results = JsonNode.Parse(File.ReadAllText(Path.Combine(Images, "results.json")))!;
        Assert.Equal("failed", (string?)results["chapters"]!["01-first"]!["status"]);
        Assert.Equal("ok", (string?)results["chapters"]!["02-second"]!["status"]);
        Assert.Equal(["m02"], results["cases"]!.AsArray().Select(c => (string?)c!["case"]));
    }

    [Fact]
    public async Task Run_OneJobAndTwoJobs_WriteTheSameResultsInTheSameOrder()
    {
        Assert.Equal(0, (await RunAsync("--jobs", "1")).Code);
        var one = Comparable(File.ReadAllText(Path.Combine(Images, "results.json")));
        Assert.Equal(0, (await RunAsync("--jobs", "2")).Code);
        var two = Comparable(File.ReadAllText(Path.Combine(Images, "results.json")));

        Assert.Equal(one, two);
    }

    [Fact]
    public async Task Run_CancelledWhileTwoChaptersRun_Returns130_BothCancelled_CommittedFilesByteIdentical()
    {
        Assert.Equal(0, (await RunAsync()).Code);
        var committed = Snapshot(Images);
        var flag = Path.Combine(_temp.Path, "02-started.flag");
        WriteNotebook("01-first", NotebookCells.Code(WaitForFlag(flag), "wait"), NotebookCells.Code("await Task.Delay(TimeSpan.FromMinutes(5));", "long"));
        WriteNotebook("02-second", NotebookCells.Code($"System.IO.File.WriteAllText({Literal(flag)}, \"\");", "start"), NotebookCells.Code("await Task.Delay(TimeSpan.FromMinutes(5));", "long"));
        using var cancel = new CancellationTokenSource();

        // Chapter 01's second cell starts only after chapter 02 has begun: both are running when the cancel comes.
        var (code, output, error) = await RunAsync(cancel.Token, progress => progress is { Notebook: "01-first", CellId: "long", Stage: CellProgressStage.Starting }, cancel.Cancel, "--jobs", "2");

        Assert.Equal(CommandLine.CancelledExitCode, code);
        Assert.Matches(@"01-first\s+cancelled", output);
        Assert.Matches(@"02-second\s+cancelled", output);
        Assert.Contains(CommandLine.CancelledMessage, error);
        Assert.Equal(committed, Snapshot(Images));
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

    [Fact]
    public async Task Run_CancelledWhileACellRuns_Returns130_ReportsCancelled_CommittedFilesByteIdentical()
    {
        Assert.Equal(0, (await RunAsync()).Code);
        var committed = Snapshot(Images);
        Assert.Contains("results.json", committed.Keys);
        Assert.Contains("01-first-rtt.svg", committed.Keys);
        WriteNotebook("02-second", NotebookCells.Code("1 + 1", "before"), NotebookCells.Code("await Task.Delay(TimeSpan.FromMinutes(5));", "wait"), NotebookCells.Code("2", "after"));
        using var cancel = new CancellationTokenSource();
        _exporter.Calls.Clear();

        // One chapter at a time: chapter 01 is done (and exported) before 02 starts, and nothing after the cancel runs.
        var (code, output, error) = await RunAsync(cancel.Token, progress => progress is { CellId: "wait", Stage: CellProgressStage.Starting }, cancel.Cancel, "--jobs", "1");

        Assert.Equal(CommandLine.CancelledExitCode, code);
        Assert.Matches(@"01-first\s+ok", output);
        Assert.Matches(@"02-second\s+cancelled", output);
        Assert.DoesNotMatch(@"02-second\s+failed", output);
        Assert.Contains("[02-second] cell 2/3 (id wait) ... cancelled", output);
        Assert.Contains(CommandLine.CancelledMessage, error);
        Assert.Contains("left as they were", error);
        // Chapter 01 finished before the cancel, yet nothing committed is rewritten and no browser export starts after the cancel.
        Assert.Equal(committed, Snapshot(Images));
        Assert.Single(_exporter.Calls);
    }

    [Fact]
    public async Task Run_CancelledDuringTheChartExport_Returns130_CommittedImagesUntouched_NoStagingFolderLeft()
    {
        Assert.Equal(0, (await RunAsync()).Code);
        var committed = Snapshot(Images);
        using var cancel = new CancellationTokenSource();
        _exporter.OnExport = cancel.Cancel;

        // One chapter at a time, so chapter 02 has not started when chapter 01's export is cancelled.
        var (code, output, _) = await RunAsync(cancel.Token, null, null, "--jobs", "1");

        Assert.Equal(CommandLine.CancelledExitCode, code);
        Assert.Matches(@"01-first\s+cancelled", output);
        Assert.Matches(@"02-second\s+not run", output);
        Assert.Equal(committed, Snapshot(Images));
        Assert.Empty(Directory.GetDirectories(Images));
    }

    [Fact]
    public async Task Run_DamagedResultsJson_IsSetAsideWithAMessage_AndTheRunGoesOn()
    {
        Directory.CreateDirectory(Images);
        File.WriteAllBytes(Path.Combine(Images, "results.json"), []);

        var (code, _, error) = await RunAsync("--chapter", "02");

        Assert.Equal(0, code);
        Assert.Contains("set aside as results.json.damaged-", error);
        var aside = Assert.Single(Directory.GetFiles(Images, "results.json.damaged-*"));
        Assert.Empty(File.ReadAllBytes(aside));
        var results = JsonNode.Parse(File.ReadAllText(Path.Combine(Images, "results.json")))!;
        Assert.Equal("ok", (string?)results["chapters"]!["02-second"]!["status"]);
    }

    [Fact]
    public async Task Run_FailingCellAfterMarkdown_FailureNamesTheSameCodeCellNumberAsTheProgressLine()
    {
        WriteNotebook("02-second", NotebookCells.Markdown("# 02 — Second"), NotebookCells.Code("1", "a"), NotebookCells.Markdown("text"),
            NotebookCells.Markdown("more text"), NotebookCells.Code("throw new Exception(\"boom\");", "boom"), NotebookCells.Code("3", "c"));

        var (code, output, error) = await RunAsync("--chapter", "02");

        Assert.Equal(1, code);
        Assert.Contains("[02-second] cell 2/3 (id boom) ... FAILED", output);
        Assert.Contains("02-second failed at code cell 2/3 (id boom)", error);
        var results = JsonNode.Parse(File.ReadAllText(Path.Combine(Images, "results.json")))!;
        Assert.StartsWith("code cell 2/3 (id boom)", (string?)results["chapters"]!["02-second"]!["failure"]);
    }

    [Fact]
    public async Task Run_StaleTempFilesOfADeadRun_AreSwept_LiveOnesKept()
    {
        Directory.CreateDirectory(Images);
        var dead = Path.Combine(Images, $".results.json{AtomicFile.TempMarker}999999999-{Guid.NewGuid():N}");
        var deadStaging = Path.Combine(Images, $"{CourseRun.StagingPrefix}999999999-{Guid.NewGuid():N}");
        var live = Path.Combine(Images, $".results.json{AtomicFile.TempMarker}{Environment.ProcessId}-{Guid.NewGuid():N}");
        File.WriteAllText(dead, "{");
        Directory.CreateDirectory(deadStaging);
        File.WriteAllText(live, "{");

        Assert.Equal(0, (await RunAsync("--chapter", "02")).Code);

        Assert.False(File.Exists(dead));
        Assert.False(Directory.Exists(deadStaging));
        Assert.True(File.Exists(live));
    }

    [Theory]
    [InlineData("--out", "file")]
    [InlineData("--images", "file")]
    [InlineData("--out", "/proc/self")]
    [InlineData("--images", "/proc/self/course-images")]
    public async Task Run_OutputFolderNotWritable_FailsBeforeTheFirstChapter_OneLineNamingFolderAndFix(string option, string where)
    {
        var folder = where == "file" ? Path.Combine(_temp.Path, "a-file") : where;
        if (where == "file")
        {
            File.WriteAllText(folder, "not a folder");
        }
        else if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var (code, output, error) = await RunAsync(option, folder);

        Assert.Equal(CommandLine.FailedExitCode, code);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(folder, line);
        Assert.Contains(option, line);
        Assert.Contains("Fix:", line);
        Assert.DoesNotContain("   at ", error);
        // Before the first chapter: nothing ran, nothing was written.
        Assert.DoesNotContain("01-first", output);
        Assert.False(File.Exists(Path.Combine(Out, "01-first.ipynb")));
    }

    [Fact]
    public async Task Run_ResultsJsonIsAFolder_FailsBeforeRunning_CommittedImagesUntouched()
    {
        Directory.CreateDirectory(Path.Combine(Images, "results.json"));
        File.WriteAllText(Path.Combine(Images, "01-first-rtt.svg"), "<svg>old</svg>");

        var (code, _, error) = await RunAsync();

        Assert.Equal(CommandLine.FailedExitCode, code);
        Assert.Contains(Path.Combine(Images, "results.json") + " is a folder", error);
        Assert.Contains("Fix:", error);
        Assert.Equal("<svg>old</svg>", File.ReadAllText(Path.Combine(Images, "01-first-rtt.svg")));
        Assert.Empty(_exporter.Calls);
    }

    [Fact]
    public async Task Run_NotebooksNamesAFile_SaysItIsAFileAndNamesItsFolder()
    {
        var file = Path.Combine(Notebooks, "01-first.ipynb");
        var output = new StringWriter();
        var error = new StringWriter();
        var command = new RunCommand(_ => _exporter, new FixedPlotlyScriptSource(""));

        var code = await CommandLine.RunAsync(["run", "--notebooks", file, "--out", Out, "--images", Images], new CommandContext(output, error, _temp.Path, CancellationToken.None), [command]);

        Assert.Equal(CommandLine.FailedExitCode, code);
        Assert.Contains($"--notebooks {file} is a file, not a folder. Fix: pass the folder that holds it, e.g. --notebooks {Notebooks}", error.ToString());
    }

    private static string Literal(string text) => System.Text.Json.JsonSerializer.Serialize(text);

    /// <summary>A cell that polls for the file another chapter writes (deadline 60 s) and says whether it saw it.</summary>
    private static string WaitForFlag(string flag) =>
        $"var deadline = DateTime.UtcNow.AddSeconds(60);\nwhile (!System.IO.File.Exists({Literal(flag)}) && DateTime.UtcNow < deadline) {{ await Task.Delay(20); }}\n"
        + $"Console.WriteLine(System.IO.File.Exists({Literal(flag)}) ? \"saw chapter 02\" : \"chapter 02 never ran\");";

    /// <summary>results.json without what differs from run to run (time stamps and durations).</summary>
    private static string Comparable(string json)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        node.Remove("generated");
        foreach (var (_, chapter) in node["chapters"]!.AsObject())
        {
            chapter!.AsObject().Remove("durationSeconds");
        }

        return node.ToJsonString();
    }

    private static Dictionary<string, string> Snapshot(string folder) =>
        Directory.GetFiles(folder).ToDictionary(f => Path.GetFileName(f), f => Convert.ToHexString(File.ReadAllBytes(f)));

    private void WriteNotebook(string name, params InteractiveDocumentElement[] cells)
    {
        var notebook = NotebookCells.CreatePolyglot();
        foreach (var cell in cells)
        {
            notebook.Add(cell);
        }

        NotebookWriter.WriteFile(notebook, Path.Combine(Notebooks, name + ".ipynb"));
    }

    private void WriteSecond(bool fail)
    {
        var second = NotebookCells.CreatePolyglot();
        second.AddCell(NotebookCells.Markdown("# 02 — Second"));
        second.AddCell(NotebookCells.Code(fail ? "throw new Exception(\"second chapter broke\");" : "1 + 1", "only"));
        NotebookWriter.WriteFile(second, Path.Combine(Notebooks, "02-second.ipynb"));
    }

    private Task<(int Code, string Output, string Error)> RunAsync(params string[] extra) => RunAsync(CancellationToken.None, null, null, extra);

    private async Task<(int Code, string Output, string Error)> RunAsync(CancellationToken token, Func<CellProgress, bool>? when = null, Action? then = null, params string[] extra)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var command = new RunCommand(_ => _exporter, new FixedPlotlyScriptSource("/* plotly stand-in */"))
        {
            ReporterFactory = context => new ObservedRunReporter(new PlainRunReporter(context.Out, context.Error))
            {
                OnCell = progress =>
                {
                    if (when?.Invoke(progress) == true)
                    {
                        then?.Invoke();
                    }
                },
            },
        };
        // A folder option given in extra replaces the test's default one.
        string[] defaults = [.. new[] { ("--notebooks", Notebooks), ("--out", Out), ("--images", Images) }.Where(d => !extra.Contains(d.Item1)).SelectMany(d => new[] { d.Item1, d.Item2 })];
        string[] args = ["run", .. defaults, .. extra];
        var code = await CommandLine.RunAsync(args, new CommandContext(output, error, _temp.Path, token), [command]).WaitAsync(TimeSpan.FromMinutes(2));
        return (code, output.ToString(), error.ToString());
    }

    private sealed class RecordingExporter : IChartImageExporter
    {
        public List<(IReadOnlyList<(string fileName, string figureJson)> Charts, string Directory)> Calls { get; } = [];

        public int Disposed { get; private set; }

        /// <summary>Runs when an export starts (a test cancels there); the export then waits as a browser would.</summary>
        public Action? OnExport { get; set; }

        public Task ExportAsync(IReadOnlyList<(string fileName, string figureJson)> charts, string directory, CancellationToken ct = default)
        {
            Calls.Add((charts, directory));
            if (OnExport is { } onExport)
            {
                onExport();
                return Task.Delay(TimeSpan.FromMinutes(5));
            }

            foreach (var (fileName, figureJson) in charts)
            {
                File.WriteAllText(Path.Combine(directory, fileName), figureJson);
            }

            return Task.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            Disposed++;
            return ValueTask.CompletedTask;
        }
    }
}
