using Course.Runner.Execution;
using Course.Runner.Notebooks;
using Course.Runner.Tests.Fixtures;
using Microsoft.DotNet.Interactive.Documents;
using AddressInUse.Display;

namespace Course.Runner.Tests.Execution;

[Collection(NotebookRunCollection.Name)]
public sealed class NotebookExecutorTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Variables_DeclaredInOneCell_AreVisibleInLaterCells()
    {
        var result = await TestNotebooks.RunAsync(TestNotebooks.FromCode("var x = 20;", "var y = x + 1;", "x + y"), _temp.Path);

        Assert.True(result.Succeeded, result.Failure?.Message);
        Assert.IsType<ReturnValueElement>(Assert.Single(result.Notebook.Elements[2].Outputs));
        Assert.Equal("41", TestNotebooks.TextOf(result.Notebook.Elements[2]));
    }

    [Fact]
    public async Task TrailingExpression_WithoutSemicolon_BecomesExecuteResultWithExecutionCount()
    {
        var result = await TestNotebooks.RunAsync(TestNotebooks.FromCode("var a = 1;", "\"the answer \" + (a + 41)"), _temp.Path);

        var output = Assert.IsType<ReturnValueElement>(Assert.Single(result.Notebook.Elements[1].Outputs));
        Assert.Equal(2, output.ExecutionOrder);
        Assert.Equal(2, result.Notebook.Elements[1].ExecutionOrder);
        Assert.True(output.Data.TryGetText(MimeTypes.Text, out var text));
        Assert.Equal("the answer 42", text);
    }

    [Theory]
    [InlineData("var z = 1 + 1;")]
    [InlineData("Console.Write(\"\")")]
    [InlineData("await Task.Yield()")]
    public async Task StatementOrVoidExpression_ProducesNoExecuteResult(string code)
    {
        var result = await TestNotebooks.RunAsync(TestNotebooks.FromCode(code), _temp.Path);

        Assert.True(result.Succeeded, result.Failure?.Message);
        Assert.DoesNotContain(result.Notebook.Elements[0].Outputs, o => o is ReturnValueElement);
    }

    [Fact]
    public async Task TopLevelAwait_ResultIsAwaitedValue()
    {
        var result = await TestNotebooks.RunAsync(TestNotebooks.FromCode("await Task.Run(() => 6 * 7)"), _temp.Path);

        Assert.Equal("42", TestNotebooks.TextOf(result.Notebook.Elements[0]));
    }

    [Fact]
    public async Task Display_ThenUpdate_ReplacesTheOutputInPlace()
    {
        var result = await TestNotebooks.RunAsync(TestNotebooks.FromCode(
            "var handle = display(\"first\");\nConsole.WriteLine(\"between\");\nhandle.Update(\"second\");\nhandle.Update(\"third\");",
            "var other = display(\"a\");\nvar last = display(\"b\");\nlast.Update(\"b2\");"), _temp.Path);

        Assert.True(result.Succeeded, result.Failure?.Message);
        var outputs = result.Notebook.Elements[0].Outputs;
        Assert.Equal(2, outputs.Count);
        var display = Assert.IsType<DisplayElement>(outputs[0]);
        Assert.True(display.Data.TryGetText(MimeTypes.Text, out var text));
        Assert.Equal("third", text);
        Assert.IsType<TextElement>(outputs[1]);
        Assert.Equal("a|b2", TestNotebooks.TextOf(result.Notebook.Elements[1]));
    }

    [Fact]
    public async Task Display_AsStatement_ShowsTheValueOnce()
    {
        var result = await TestNotebooks.RunAsync(TestNotebooks.FromCode("display(\"shown\");"), _temp.Path);

        var display = Assert.IsType<DisplayElement>(Assert.Single(result.Notebook.Elements[0].Outputs));
        Assert.True(display.Data.TryGetText(MimeTypes.Text, out var text));
        Assert.Equal("shown", text);
    }

    [Fact]
    public async Task DisplayExtension_OnValue_AddsDisplayData()
    {
        var result = await TestNotebooks.RunAsync(TestNotebooks.FromCode("42.Display();"), _temp.Path);

        Assert.IsType<DisplayElement>(Assert.Single(result.Notebook.Elements[0].Outputs));
        Assert.Equal("42", TestNotebooks.TextOf(result.Notebook.Elements[0]));
    }

    [Fact]
    public async Task ConsoleWrites_BecomeStreamOutputs_AndConsoleIsRestored()
    {
        var before = Console.Out;
        var result = await TestNotebooks.RunAsync(TestNotebooks.FromCode(
            "Console.WriteLine(\"out 1\");\nConsole.Write(\"out 2\\n\");\nConsole.Error.WriteLine(\"err 1\");\nConsole.WriteLine(\"out 3\");"), _temp.Path);

        var outputs = result.Notebook.Elements[0].Outputs.Cast<TextElement>().ToList();
        Assert.Equal(["stdout", "stderr", "stdout"], outputs.Select(o => o.Name));
        Assert.Equal("out 1\nout 2\n", outputs[0].Text);
        Assert.Equal("err 1\n", outputs[1].Text);
        Assert.Equal("out 3\n", outputs[2].Text);
        Assert.Same(before, Console.Out);
    }

    [Fact]
    public async Task Exception_InACell_AddsErrorOutputFailsRunAndSkipsLaterCells()
    {
        var result = await TestNotebooks.RunAsync(TestNotebooks.FromCode(
            "Console.WriteLine(\"ran\");",
            "throw new InvalidOperationException(\"boom\");",
            "Console.WriteLine(\"must not run\");"), _temp.Path);

        Assert.False(result.Succeeded);
        Assert.Equal(1, result.Failure!.CellIndex);
        Assert.Equal("c2", result.Failure.CellId);
        Assert.Equal(CellFailureKind.Exception, result.Failure.Kind);
        Assert.Contains("boom", result.Failure.Message);
        var error = Assert.IsType<ErrorElement>(Assert.Single(result.Notebook.Elements[1].Outputs));
        Assert.Equal("InvalidOperationException", error.ErrorName);
        Assert.Equal("boom", error.ErrorValue);
        Assert.NotEmpty(error.StackTrace);
        Assert.Empty(result.Notebook.Elements[2].Outputs);
        Assert.Equal(0, result.Notebook.Elements[2].ExecutionOrder);
    }

    [Fact]
    public async Task CompileError_ReportsLineRelativeToTheCell()
    {
        var result = await TestNotebooks.RunAsync(TestNotebooks.FromCode(
            "var fine = 1;",
            "var a = 1;\nvar b = undefinedName + a;"), _temp.Path);

        Assert.False(result.Succeeded);
        Assert.Equal(CellFailureKind.Compilation, result.Failure!.Kind);
        Assert.Contains("line 2, column 9", result.Failure.Message);
        Assert.Contains("CS0103", result.Failure.Message);
        Assert.Contains("code cell 2 of 2 (id c2)", result.Failure.Message);
        var error = Assert.IsType<ErrorElement>(Assert.Single(result.Notebook.Elements[1].Outputs));
        Assert.Contains(error.StackTrace, line => line.StartsWith("line 2, column 9: error CS0103", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CompileError_AfterAReferenceLine_KeepsCellLineNumbers()
    {
        var dll = FixtureLibrary.BuildInto(Path.Combine(_temp.Path, "lib"));
        var result = await TestNotebooks.RunAsync(TestNotebooks.FromCode(
            "#r \"lib/Fixture.dll\"\nvar a = 1;\nvar b = nope;"), _temp.Path);

        Assert.True(File.Exists(dll));
        Assert.Contains("line 3, column 9", result.Failure!.Message);
    }

    [Fact]
    public async Task ReferenceToMissingDll_FailsNamingCellPathResolvedPathAndFix()
    {
        var result = await TestNotebooks.RunAsync(TestNotebooks.FromCode("#r \"../nowhere/Missing.dll\"\nvar x = 1;"), Path.Combine(_temp.Path, "notebooks"));

        Assert.False(result.Succeeded);
        Assert.Equal(CellFailureKind.Directive, result.Failure!.Kind);
        var message = result.Failure.Message;
        Assert.Contains("code cell 1 of 1 (id c1)", message);
        Assert.Contains("\"../nowhere/Missing.dll\"", message);
        Assert.Contains(Path.Combine(_temp.Path, "nowhere", "Missing.dll"), message);
        Assert.Contains("dotnet build", message);
        Assert.IsType<ErrorElement>(Assert.Single(result.Notebook.Elements[0].Outputs));
    }

    [Theory]
    [InlineData("#r \"nuget: Newtonsoft.Json, 13.0.3\"", "NuGet")]
    [InlineData("#i \"nuget: https://example.org/feed\"", "offline")]
    public async Task NuGetDirective_WhenOffline_IsRefusedNamingCellAndLine(string directive, string expected)
    {
        var result = await TestNotebooks.RunAsync(TestNotebooks.FromCode("var ok = 1;", $"var before = 1;\n{directive}\nvar after = 2;"), _temp.Path,
            new ExecutionOptions { AllowNuGet = false });

        Assert.False(result.Succeeded);
        Assert.Equal(CellFailureKind.Directive, result.Failure!.Kind);
        Assert.Contains("code cell 2 of 2 (id c2), line 2", result.Failure.Message);
        Assert.Contains(directive, result.Failure.Message);
        Assert.Contains(expected, result.Failure.Message);
        Assert.Contains("Fix:", result.Failure.Message);
    }

    [Fact]
    public async Task KernelMagic_Set_RunsInTheRealKernel()
    {
        var result = await TestNotebooks.RunAsync(TestNotebooks.FromCode("#!set --name answer --value 42", "answer"), _temp.Path);

        Assert.True(result.Succeeded, result.Failure?.Message + " " + TestNotebooks.TextOf(result.Notebook.Elements[0]));
        Assert.Equal("42", TestNotebooks.TextOf(result.Notebook.Elements[1]));
    }

    [Fact]
    public async Task KernelMagics_OfTheKernelTool_RunInTheRunnersKernel()
    {
        // The magics a learner's notebook uses in Polyglot or Jupyter (the kernel tool's C# kernel) must not fail here with DNI101.
        var result = await TestNotebooks.RunAsync(TestNotebooks.FromCode(
            "#!time\nvar answer = 6 * 7;",
            "#!who",
            "#!whos",
            "#!value --name greeting\nhello from value",
            "#!set --name fromValue --value @value:greeting\nfromValue"), _temp.Path);

        var texts = result.Notebook.Elements.Select(TestNotebooks.TextOf).ToList();
        Assert.True(result.Succeeded, result.Failure?.Message + "\n" + string.Join("\n", texts));
        Assert.Matches(@"^Wall time: [0-9.]+ms$", texts[0]);
        Assert.Contains("answer", texts[1]);
        Assert.Contains("answer", string.Concat(result.Notebook.Elements[2].Outputs.MimeData().Select(d => d.TryGetText("text/html", out var h) ? h : "")));
        Assert.Equal("hello from value", texts[4]);
    }

    [Fact]
    public async Task KernelMagics_LsMagicAboutMarkdown_RunInTheRunnersKernel()
    {
        // The kernel tool's App-assembly magics: #!lsmagic lists every directive of the composite and the C# kernel, #!markdown renders.
        var result = await TestNotebooks.RunAsync(TestNotebooks.FromCode("#!lsmagic", "#!about", "#!markdown\n# Hello *there*"), _temp.Path);

        string Html(int cell) => string.Concat(result.Notebook.Elements[cell].Outputs.MimeData().Select(d => d.TryGetText("text/html", out var h) ? h : ""));
        Assert.True(result.Succeeded, result.Failure?.Message + "\n" + string.Join("\n", result.Notebook.Elements.Select(TestNotebooks.TextOf)));
        var listing = Html(0);
        Assert.Contains("<h3>.NET kernel</h3>", listing);
        Assert.Contains("<h3>csharp kernel</h3>", listing);
        foreach (var magic in new[] { "#!about", "#!lsmagic", "#!markdown", "#!time", "#!import", "#!who", "#!whos", "#!set", "#!share", "#r", "#i" })
        {
            Assert.Contains($"color:#512bd4\">{magic}</span>", listing);
        }

        Assert.Contains(".NET Interactive", Html(1));
        Assert.Contains("1.0.0-beta.26120.1", Html(1));
        Assert.Equal("<h1 id=\"hello-there\">Hello <em>there</em></h1>\n", Html(2));
    }

    [Fact]
    public async Task NuGetReference_Allowed_TheKernelRestoresAndLoadsThePackage()
    {
        // Markdig 1.6.0 is one of the runner's own packages, so it is in the NuGet cache and restores without the network.
        var result = await TestNotebooks.RunAsync(
            TestNotebooks.FromCode("#r \"nuget: Markdig, 1.6.0\"", "Markdig.Markdown.ToHtml(\"*hi*\").Trim()"),
            _temp.Path, new ExecutionOptions { AllowNuGet = true });

        Assert.True(result.Succeeded, result.Failure?.Message + "\n" + string.Join("\n", result.Notebook.Elements.Select(TestNotebooks.TextOf)));
        Assert.Equal("<p><em>hi</em></p>", TestNotebooks.TextOf(result.Notebook.Elements[1]));
    }

    [Fact]
    public async Task WorkingDirectory_DuringRun_IsTheNotebookFolder_AndIsRestoredAfter()
    {
        var before = Directory.GetCurrentDirectory();
        var folder = Path.Combine(_temp.Path, "chapter");
        var result = await TestNotebooks.RunAsync(TestNotebooks.FromCode("System.IO.Directory.GetCurrentDirectory()"), folder);

        Assert.Equal(Path.GetFullPath(folder), TestNotebooks.TextOf(result.Notebook.Elements[0]).TrimEnd(Path.DirectorySeparatorChar));
        Assert.Equal(before, Directory.GetCurrentDirectory());
    }

    [Fact]
    public async Task DefaultImports_AllowLinqTextAndCollectionsWithoutUsings()
    {
        var result = await TestNotebooks.RunAsync(TestNotebooks.FromCode(
            "var sb = new StringBuilder();\nvar list = new List<int> { 3, 1, 2 };\nsb.Append(string.Join(\",\", list.OrderBy(i => i)));\nsb.ToString()"), _temp.Path);

        Assert.True(result.Succeeded, result.Failure?.Message);
        Assert.Equal("1,2,3", TestNotebooks.TextOf(result.Notebook.Elements[0]));
    }

    [Fact]
    public async Task StaleOutputs_InTheSourceNotebook_AreReplaced()
    {
        var notebook = TestNotebooks.FromCode("1 + 2");
        notebook.Elements[0].Outputs.Add(new TextElement("stale", "stdout"));
        notebook.Elements[0].ExecutionOrder = 99;

        var result = await TestNotebooks.RunAsync(notebook, _temp.Path);

        Assert.Equal("3", TestNotebooks.TextOf(result.Notebook.Elements[0]));
        Assert.Equal(1, result.Notebook.Elements[0].ExecutionOrder);
        Assert.Equal("stale", TestNotebooks.TextOf(notebook.Elements[0]));
    }

    [Fact]
    public async Task MarkdownAndEmptyCells_AreNotExecuted()
    {
        var notebook = NotebookCells.CreatePolyglot();
        notebook.AddCell(NotebookCells.Markdown("# Title"));
        notebook.AddCell(NotebookCells.Code("   \n"));
        notebook.AddCell(NotebookCells.Code("5"));

        var result = await TestNotebooks.RunAsync(notebook, _temp.Path);

        Assert.Equal(0, result.Notebook.Elements[1].ExecutionOrder);
        Assert.Equal(1, result.Notebook.Elements[2].ExecutionOrder);
    }

    [Fact]
    public async Task Progress_IsReportedForEachCodeCell_WithCountAndName()
    {
        var reports = new List<CellProgress>();
        var result = await TestNotebooks.RunAsync(TestNotebooks.FromCode("1", "2"), _temp.Path,
            new ExecutionOptions { Progress = reports.Add }, name: "07-progress.ipynb");

        Assert.True(result.Succeeded);
        Assert.Equal(4, reports.Count);
        Assert.All(reports, r => Assert.Equal("07-progress", r.Notebook));
        Assert.Equal([1, 1, 2, 2], reports.Select(r => r.CodeCellNumber));
        Assert.All(reports, r => Assert.Equal(2, r.CodeCellCount));
        Assert.True(reports[3].Succeeded);
    }
}
