using Course.Runner.Execution;
using Course.Runner.Notebooks;
using Course.Runner.Tests.Fixtures;

namespace Course.Runner.Tests.Execution;

[Collection(NotebookRunCollection.Name)]
public sealed class TimeoutAndParameterTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task CellWaitingForever_OnTheCellToken_FailsWithTimeoutMessageAndStops()
    {
        var result = await TestNotebooks.RunAsync(TestNotebooks.FromCode(
            "var started = true;",
            "await Task.Delay(System.Threading.Timeout.Infinite, CellCancellationToken);",
            "Console.WriteLine(\"must not run\");"), _temp.Path, new ExecutionOptions { CellTimeout = TimeSpan.FromSeconds(1) });

        Assert.False(result.Succeeded);
        Assert.Equal(CellFailureKind.Timeout, result.Failure!.Kind);
        Assert.Contains("cell 2 (id c2) did not finish within 1 s", result.Failure.Message);
        Assert.Contains("--cell-timeout", result.Failure.Message);
        Assert.IsType<ErrorOutput>(Assert.Single(result.Notebook.Cells[1].Outputs));
        Assert.Empty(result.Notebook.Cells[2].Outputs);
    }

    [Fact]
    public async Task BusyLoop_PollingTheToken_IsCancelledAtTheDeadline()
    {
        var result = await TestNotebooks.RunAsync(TestNotebooks.FromCode(
            "long spins = 0;\nwhile (!CellCancellationToken.IsCancellationRequested) { spins++; }"),
            _temp.Path, new ExecutionOptions { CellTimeout = TimeSpan.FromSeconds(1) });

        Assert.Equal(CellFailureKind.Timeout, result.Failure!.Kind);
    }

    [Fact]
    public async Task BusyLoop_IgnoringTheToken_IsAbandonedAndTheRunnerReturns()
    {
        var result = await TestNotebooks.RunAsync(TestNotebooks.FromCode(
            "var until = DateTime.UtcNow.AddSeconds(5);\nwhile (DateTime.UtcNow < until) { }"),
            _temp.Path, new ExecutionOptions { CellTimeout = TimeSpan.FromSeconds(1) });

        Assert.Equal(CellFailureKind.Timeout, result.Failure!.Kind);
    }

    [Fact]
    public async Task ParameterOverride_IsInjectedAfterParametersCell_AndRecorded()
    {
        var notebook = TestNotebooks.FromCode("var quick = false;\nint rounds = 10;\ndouble threshold = 0.5;", "$\"{quick} {rounds} {threshold / 4}\"");
        notebook.Cells[0].AddTag(ParameterInjector.ParametersTag);

        var result = await TestNotebooks.RunAsync(notebook, _temp.Path, new ExecutionOptions
        {
            Parameters = new Dictionary<string, string> { ["threshold"] = "1", ["quick"] = "true", ["unknown"] = "3" },
        });

        Assert.True(result.Succeeded, result.Failure?.Message);
        var injected = result.Notebook.Cells[1];
        Assert.Equal(ParameterInjector.InjectedCellId, injected.Id);
        Assert.Contains(ParameterInjector.InjectedTag, injected.Tags);
        Assert.Equal("// Parameters injected by the course runner (--param / --quick).\nquick = true;\nthreshold = 1;", injected.Source);
        Assert.Equal(2, injected.ExecutionCount);
        // threshold keeps its declared double type, so 1 / 4 is 0.25, not integer 0.
        Assert.Equal("True 10 0.25", TestNotebooks.TextOf(result.Notebook.Cells[2]));
        Assert.Contains(result.Warnings, w => w.Contains("'unknown'", StringComparison.Ordinal));
        Assert.Equal(2, notebook.Cells.Count);
    }

    [Fact]
    public async Task ParameterOverride_WithoutParametersCell_IsAWarningNotACell()
    {
        var result = await TestNotebooks.RunAsync(TestNotebooks.FromCode("var quick = false;"), _temp.Path, new ExecutionOptions
        {
            Parameters = new Dictionary<string, string> { ["quick"] = "true" },
        });

        Assert.Single(result.Notebook.Cells);
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
    public void Inject_ReplacesAnEarlierInjectedCell_InsteadOfAddingASecond()
    {
        var notebook = TestNotebooks.FromCode("var quick = false;", "quick");
        notebook.Cells[0].AddTag(ParameterInjector.ParametersTag);
        var overrides = new Dictionary<string, string> { ["quick"] = "true" };

        ParameterInjector.Inject(notebook, overrides);
        ParameterInjector.Inject(notebook, overrides);

        Assert.Equal(3, notebook.Cells.Count);
        Assert.Single(notebook.Cells, c => c.HasTag(ParameterInjector.InjectedTag));
    }

    [Fact]
    public async Task ParameterValue_ThatDoesNotFitTheVariable_FailsWithAHintAboutParamValues()
    {
        var notebook = TestNotebooks.FromCode("string host = \"a\";", "host");
        notebook.Cells[0].AddTag(ParameterInjector.ParametersTag);

        var result = await TestNotebooks.RunAsync(notebook, _temp.Path, new ExecutionOptions
        {
            Parameters = new Dictionary<string, string> { ["host"] = "localhost" },
        });

        Assert.False(result.Succeeded);
        Assert.Equal(ParameterInjector.InjectedCellId, result.Failure!.CellId);
        Assert.Contains("strings need quotes", result.Failure.Message);
    }
}
