using Course.Runner.Cli;
using Course.Runner.Execution;
using Spectre.Console;
using Course.Runner.Pipeline;

namespace Course.Runner.Tests.Cli;

public sealed class RunReporterTests
{
    [Fact]
    public async Task Spectre_InATerminal_ShowsProgressAndATableWithEveryChapterAndStatus()
    {
        var text = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.Yes,
            Out = new AnsiConsoleOutput(text),
        });
        var reporter = new SpectreRunReporter(console);
        var outcomes = new List<ChapterOutcome>
        {
            new("01-first", "ok", TimeSpan.FromSeconds(1.25)),
            new("02-[second]", "failed", TimeSpan.FromSeconds(2), "code cell 2/3 (id boom): threw [boom]"),
            new("03-third", ChapterOutcome.Cancelled, TimeSpan.Zero),
        };

        var value = await reporter.ShowAsync(3, async () =>
        {
            foreach (var outcome in outcomes)
            {
                reporter.ChapterStarting(outcome.Chapter);
                reporter.Cell(new CellProgress(outcome.Chapter, 1, 2, 1, "a", CellProgressStage.Starting));
                reporter.Live("waiting [1 s]…");
                reporter.Cell(new CellProgress(outcome.Chapter, 1, 2, 1, "a", CellProgressStage.Finished, TimeSpan.FromSeconds(1), outcome.Status == "ok"));
                reporter.Line("  wrote [x].html");
                reporter.ChapterFinished(outcome);
                await Task.Yield();
            }

            return 42;
        });
        reporter.Summary(outcomes);

        Assert.Equal(42, value);
        var shown = text.ToString();
        Assert.Contains("wrote [x].html", shown);
        Assert.Matches(@"01-first\s*│\s*ok\s*│\s*1\.3 s", shown);
        Assert.Matches(@"02-\[second\]\s*│\s*failed", shown);
        Assert.Matches(@"03-third\s*│\s*cancelled", shown);
        Assert.Contains("code cell 2/3 (id boom): threw [boom]", shown);
    }

    [Fact]
    public void Plain_SummaryTable_OneRowPerChapter_ThenEachReason()
    {
        var table = PlainRunReporter.SummaryTable([
            new("01-first", "ok", TimeSpan.FromSeconds(1.25)),
            new("02-second", ChapterOutcome.NotRun, TimeSpan.Zero),
            new("03-third", ChapterOutcome.Cancelled, TimeSpan.FromSeconds(3), "stopped"),
        ]);

        Assert.Matches(@"01-first\s+ok\s+1\.3 s\n", table);
        Assert.Matches(@"02-second\s+not run\s+0\.0 s\n", table);
        Assert.EndsWith("03-third: stopped\n", table);
        Assert.DoesNotContain('\u001b', table);
    }
}
