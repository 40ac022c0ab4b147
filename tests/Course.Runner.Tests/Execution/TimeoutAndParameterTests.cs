using AddressInUse.Observation;
using Course.Runner.Cli;
using Course.Runner.Execution;
using Course.Runner.Notebooks;
using Course.Runner.Tests.Fixtures;
using Microsoft.DotNet.Interactive.Documents;

namespace Course.Runner.Tests.Execution;

[Collection(NotebookRunCollection.Name)]
public sealed class TimeoutAndParameterTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task CellWaitingForever_FailsWithTimeoutMessageNamingTheCodeCellAndStops()
    {
        var notebook = TestNotebooks.FromCode(
            "var started = true;",
            "await Task.Delay(System.Threading.Timeout.Infinite);",
            "Console.WriteLine(\"must not run\");");
        // The first cell compiles in a new kernel, which on a loaded machine can take longer than the 5 s meant for the second.
        TestNotebooks.WithOwnTimeout(notebook.Elements[0], 300);
        var result = await TestNotebooks.RunAsync(notebook, _temp.Path, new ExecutionOptions { CellTimeout = TimeSpan.FromSeconds(5) });

        Assert.False(result.Succeeded);
        Assert.False(result.Cancelled);
        Assert.Equal(CellFailureKind.Timeout, result.Failure!.Kind);
        Assert.Contains("code cell 2 of 3 (id c2) did not finish within 5 s", result.Failure.Message);
        Assert.Contains("--cell-timeout", result.Failure.Message);
        // A cell that never ends is more often a loop to fix than an experiment that needs longer.
        Assert.Contains("if the cell loops forever", result.Failure.Message);
        Assert.IsType<ErrorElement>(Assert.Single(result.Notebook.Elements[1].Outputs));
        Assert.Empty(result.Notebook.Elements[2].Outputs);
    }

    [Fact]
    public async Task CellWithItsOwnTimeout_IsEndedAtItsOwnLimit_NamingThatLimit_WhileOtherCellsHaveTheRunsLimit()
    {
        var notebook = TestNotebooks.FromCode(
            "var started = true;",
            "await Task.Delay(System.Threading.Timeout.Infinite);",
            "Console.WriteLine(\"must not run\");");
        TestNotebooks.WithOwnTimeout(notebook.Elements[1], 2);
        var result = await TestNotebooks.RunAsync(notebook, _temp.Path, new ExecutionOptions { CellTimeout = TimeSpan.FromSeconds(600) });

        Assert.Equal(CellFailureKind.Timeout, result.Failure!.Kind);
        Assert.Equal(1, result.Failure.CellIndex);
        Assert.Contains("code cell 2 of 3 (id c2) did not finish within 2 s", result.Failure.Message);
        Assert.Contains("raise \"timeout_seconds\" in the cell's \"course\" metadata (now 2 s)", result.Failure.Message);
        Assert.DoesNotContain("--cell-timeout", result.Failure.Message);
        Assert.Empty(result.Notebook.Elements[2].Outputs);
    }

    [Fact]
    public async Task BadOwnTimeout_InALateCell_FailsBeforeAnyCellRuns_NamingTheCellAndTheFix()
    {
        var marker = Path.Combine(_temp.Path, "first-cell-ran");
        var notebook = TestNotebooks.FromCode($"System.IO.File.WriteAllText(@\"{marker}\", \"ran\");", "1 + 1");
        Metadata.Child(notebook.Elements[1].MetadataOf(), CellTimeout.MetadataKey)[CellTimeout.SecondsKey] = "soon";

        var result = await TestNotebooks.RunAsync(notebook, _temp.Path);

        Assert.Equal(CellFailureKind.Directive, result.Failure!.Kind);
        Assert.Equal(1, result.Failure.CellIndex);
        Assert.StartsWith("code cell 2 of 2 (id c2) has \"course\": {\"timeout_seconds\": \"soon\"}", result.Failure.Message);
        Assert.Contains("Fix:", result.Failure.Message);
        Assert.IsType<ErrorElement>(Assert.Single(result.Notebook.Elements[1].Outputs));
        Assert.False(File.Exists(marker), "the first cell ran although the notebook's metadata was bad");
    }

    [Fact]
    public async Task BusyLoop_ThatNeverAwaits_IsEndedAtTheDeadline_WithTheProcessesItStarted()
    {
        // The pid goes to a file: the kernel publishes a busy cell's Console text only when the cell yields.
        var pidFile = Path.Combine(_temp.Path, "child.pid");
        var result = await TestNotebooks.RunAsync(TestNotebooks.FromCode(
            "var child = System.Diagnostics.Process.Start(\"sleep\", \"120\");\nSystem.IO.File.WriteAllText(\"child.pid\", child.Id.ToString());\nwhile (true) { }"),
            _temp.Path, new ExecutionOptions { CellTimeout = TimeSpan.FromSeconds(2) });

        Assert.Equal(CellFailureKind.Timeout, result.Failure!.Kind);
        var pid = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(await Poll.TryUntilAsync(() => !IsRunning(pid), TimeSpan.FromSeconds(10)), $"the cell's child process {pid} outlived the timed-out cell");
    }

    [Fact]
    public async Task TimedOutCell_ThatKeepsPrinting_IsCutOff_AndNothingReachesTheNextNotebook()
    {
        var first = await TestNotebooks.RunAsync(TestNotebooks.FromCode(
            "while (true) { Console.WriteLine(\"LEAK-FROM-FIRST\"); await Task.Delay(1); }"),
            _temp.Path, new ExecutionOptions { CellTimeout = TimeSpan.FromSeconds(1) }, name: "first.ipynb");
        var cutOff = first.Notebook.Elements[0].Outputs.OfType<TextElement>().Sum(o => o.Text.Length);

        var second = await TestNotebooks.RunAsync(TestNotebooks.FromCode("await Task.Delay(1500);\nConsole.WriteLine(\"second\");"), _temp.Path, name: "second.ipynb");

        Assert.Equal(CellFailureKind.Timeout, first.Failure!.Kind);
        Assert.True(second.Succeeded, second.Failure?.Message);
        Assert.Equal("second\n", TestNotebooks.TextOf(second.Notebook.Elements[0]));
        Assert.Equal(cutOff, first.Notebook.Elements[0].Outputs.OfType<TextElement>().Sum(o => o.Text.Length));
    }

    [Fact]
    public async Task HugeOutput_IsCappedPerCell_WithANoteSayingHowMuchWasDropped()
    {
        var result = await TestNotebooks.RunAsync(TestNotebooks.FromCode(
            "var line = new string('x', 99);\nfor (var i = 0; i < 100_000; i++) { Console.WriteLine(line); }\nConsole.WriteLine(\"end\");"),
            _temp.Path, new ExecutionOptions { MaxOutputCharactersPerCell = 1024 * 1024 });

        Assert.True(result.Succeeded, result.Failure?.Message);
        var streams = result.Notebook.Elements[0].Outputs.OfType<TextElement>().ToList();
        Assert.Equal(1024 * 1024, streams.Where(s => s.Name == NotebookOutputs.Stdout).Sum(s => s.Text.Length));
        var note = Assert.Single(streams, s => s.Name == NotebookOutputs.Stderr);
        Assert.Contains("went over 1 MB", note.Text);
        Assert.Contains((100_000 * 100 + 4 - 1024 * 1024).ToString("N0", System.Globalization.CultureInfo.InvariantCulture), note.Text);
    }

    [Fact]
    public async Task Cancellation_WhileACellLoops_EndsTheWorkerAndSaysCancelledNotFailed()
    {
        using var cancellation = new CancellationTokenSource();
        var reports = new List<CellProgress>();
        var run = TestNotebooks.RunAsync(TestNotebooks.FromCode("Console.WriteLine(\"looping\");\nwhile (true) { }", "Console.WriteLine(\"must not run\");"), _temp.Path,
            new ExecutionOptions { Progress = p => { lock (reports) { reports.Add(p); } } }, cancellationToken: cancellation.Token);
        Assert.True(await Poll.TryUntilAsync(() => { lock (reports) { return reports.Count > 0; } }, TimeSpan.FromSeconds(60)));
        cancellation.Cancel();

        var result = await run;

        Assert.True(result.Cancelled);
        Assert.Equal(CellFailureKind.Cancelled, result.Failure!.Kind);
        Assert.Contains("cancelled", result.Failure.Message);
        Assert.Empty(result.Notebook.Elements[1].Outputs);
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    [Fact]
    public async Task ParameterOverride_IsInjectedAfterParametersCell_AndRecorded()
    {
        var notebook = TestNotebooks.FromCode("var quick = false;\nint rounds = 10;\ndouble threshold = 0.5;", "$\"{quick} {rounds} {threshold / 4}\"");
        notebook.Elements[0].AddTag(ParameterInjector.ParametersTag);

        var result = await TestNotebooks.RunAsync(notebook, _temp.Path, new ExecutionOptions
        {
            Parameters = new Dictionary<string, string> { ["threshold"] = "1", ["quick"] = "true", ["unknown"] = "3" },
        });

        Assert.True(result.Succeeded, result.Failure?.Message);
        var injected = result.Notebook.Elements[1];
        Assert.Equal(ParameterInjector.InjectedCellId, injected.Id);
        Assert.Contains(ParameterInjector.InjectedTag, injected.Tags());
        Assert.Equal("// Parameters injected by the course runner (--param / --quick).\nquick = true;\nthreshold = 1;", injected.Contents);
        Assert.Equal(2, injected.ExecutionOrder);
        // threshold keeps its declared double type, so 1 / 4 is 0.25, not integer 0.
        Assert.Equal("True 10 0.25", TestNotebooks.TextOf(result.Notebook.Elements[2]));
        Assert.Contains(result.Warnings, w => w.Contains("'unknown'", StringComparison.Ordinal));
        Assert.Equal(2, notebook.Elements.Count);
    }

    [Fact]
    public async Task ParameterOverride_WithoutParametersCell_IsAWarningNotACell()
    {
        var result = await TestNotebooks.RunAsync(TestNotebooks.FromCode("var quick = false;"), _temp.Path, new ExecutionOptions
        {
            Parameters = new Dictionary<string, string> { ["quick"] = "true" },
        });

        Assert.Single(result.Notebook.Elements);
        Assert.Contains(result.Warnings, w => w.Contains("tagged \"parameters\"", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("host", "local host", null)]
    [InlineData("host", "localhost", "")]
    [InlineData("host", "\"localhost\"", "")]
    [InlineData("rounds", "3 +", null)]
    [InlineData("2bad", "1", null)]
    public void ValidateValue_RejectsNonExpressions_AndAcceptsLiterals(string name, string value, string? expected)
    {
        var problem = ParameterInjector.ValidateValue(name, value);

        if (expected is null)
        {
            Assert.NotNull(problem);
            Assert.Contains("Fix:", problem);
        }
        else
        {
            Assert.Null(problem);
        }
    }

    [Fact]
    public void Inject_QuickForTheWholeRun_IntoChaptersThatDoNotDeclareIt_NoWarning_AnExplicitParamStillWarns()
    {
        var undeclared = TestNotebooks.FromCode("var rounds = 3;");
        undeclared.Elements[0].AddTag(ParameterInjector.ParametersTag);
        var untagged = TestNotebooks.FromCode("1 + 1");
        var quick = new Dictionary<string, string> { ["quick"] = "true" };
        var optional = new HashSet<string> { "quick" };

        Assert.Empty(ParameterInjector.Inject(undeclared, quick, optional).Warnings);
        Assert.Empty(ParameterInjector.Inject(untagged, quick, optional).Warnings);
        Assert.Contains("parameter 'quick' is not declared", Assert.Single(ParameterInjector.Inject(undeclared, quick).Warnings));
        Assert.Contains("no cell is tagged", Assert.Single(ParameterInjector.Inject(untagged, quick).Warnings));
    }

    [Fact]
    public void RunOptions_Quick_IsOptionalForEachChapter_ParamQuickIsNot()
    {
        Assert.Contains("quick", RunOptions.Parse(["--quick"]).OptionalParameters);
        Assert.Empty(RunOptions.Parse(["--param", "quick=true"]).OptionalParameters);
        Assert.Empty(RunOptions.Parse(["--quick", "--param", "quick=false"]).OptionalParameters);
    }

    [Fact]
    public async Task ReferenceByAMissingAssemblyName_FailsWithTheCompilerErrorAndTheFix()
    {
        var result = await TestNotebooks.RunAsync(TestNotebooks.FromCode("#r \"Some.Assembly\"\n1 + 1"), _temp.Path);

        Assert.Equal(CellFailureKind.Compilation, result.Failure!.Kind);
        Assert.Contains("CS0006", result.Failure.Message);
        Assert.Contains(NotebookExecutor.MissingReferenceFix, result.Failure.Message);
    }

    [Fact]
    public async Task WorkerKilledBySigkill_ExitCode137_NamesTheOutOfMemoryKillerAndTheFix()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        // What the OOM killer does to a cell that holds too much: SIGKILL, which nothing in the process can catch.
        var result = await TestNotebooks.RunAsync(TestNotebooks.FromCode("System.Diagnostics.Process.GetCurrentProcess().Kill();"), _temp.Path);

        Assert.False(result.Succeeded);
        Assert.Contains("exit code 137", result.Failure!.Message);
        Assert.Contains("out-of-memory killer", result.Failure.Message);
        Assert.Contains("Fix:", result.Failure.Message);
    }

    [Fact]
    public void Inject_ReplacesAnEarlierInjectedCell_InsteadOfAddingASecond()
    {
        var notebook = TestNotebooks.FromCode("var quick = false;", "quick");
        notebook.Elements[0].AddTag(ParameterInjector.ParametersTag);
        var overrides = new Dictionary<string, string> { ["quick"] = "true" };

        ParameterInjector.Inject(notebook, overrides);
        ParameterInjector.Inject(notebook, overrides);

        Assert.Equal(3, notebook.Elements.Count);
        Assert.Single(notebook.Elements, c => c.HasTag(ParameterInjector.InjectedTag));
    }

    [Fact]
    public async Task ParameterValue_ThatDoesNotFitTheVariable_FailsWithAHintAboutParamValues()
    {
        var notebook = TestNotebooks.FromCode("string host = \"a\";", "host");
        notebook.Elements[0].AddTag(ParameterInjector.ParametersTag);

        var result = await TestNotebooks.RunAsync(notebook, _temp.Path, new ExecutionOptions
        {
            Parameters = new Dictionary<string, string> { ["host"] = "localhost" },
        });

        Assert.False(result.Succeeded);
        Assert.Equal(ParameterInjector.InjectedCellId, result.Failure!.CellId);
        Assert.Contains("strings need quotes", result.Failure.Message);
    }
}
