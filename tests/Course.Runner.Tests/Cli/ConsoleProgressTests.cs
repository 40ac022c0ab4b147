using Microsoft.Extensions.Time.Testing;
using Course.Runner.Cli;
using Course.Runner.Execution;
using Course.Runner.Tests.Fixtures;

namespace Course.Runner.Tests.Cli;

[Collection(NotebookRunCollection.Name)]
public sealed class ConsoleProgressTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Live_UpdatesFasterThanTheInterval_OneLineUntilTheIntervalPasses()
    {
        var clock = new FakeTimeProvider();
        var output = new StringWriter();
        var progress = new ConsoleProgress(output, clock);
        progress.Report(new CellProgress("03-time-wait", 4, 7, 5, "c1", CellProgressStage.Starting));

        progress.Live("TIME_WAIT entry still there after 1 s…");
        progress.Live("TIME_WAIT entry still there after 2 s…");
        clock.Advance(ConsoleProgress.LiveInterval);
        progress.Live("TIME_WAIT entry still there after 7 s…\nsecond line");
        progress.Report(new CellProgress("03-time-wait", 4, 7, 5, "c1", CellProgressStage.Finished, TimeSpan.FromSeconds(61), true));

        var text = output.ToString();
        Assert.Contains("after 1 s", text);
        Assert.DoesNotContain("after 2 s", text);
        Assert.Contains("after 7 s", text);
        Assert.DoesNotContain("second line", text);
        Assert.Contains("→ ok (61.0 s)", text);
    }

    [Fact]
    public async Task Executor_CellUpdatesADisplayedValue_LiveUpdateReceivesEachText()
    {
        var seen = new List<string>();
        var notebook = TestNotebooks.FromCode("var h = display(\"waiting 0\");\nfor (var i = 1; i <= 3; i++) { h.Update($\"waiting {i}\"); }");

        var result = await TestNotebooks.RunAsync(notebook, _temp.Path, new ExecutionOptions { LiveUpdate = t => { lock (seen) { seen.Add(t); } } });

        Assert.True(result.Succeeded, result.Failure?.Message);
        Assert.Equal(["waiting 1", "waiting 2", "waiting 3"], seen);
    }
}
