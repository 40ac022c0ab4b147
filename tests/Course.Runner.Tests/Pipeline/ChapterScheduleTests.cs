using System.Text.Json.Nodes;
using Course.Runner.Cli;
using Course.Runner.Execution;
using Course.Runner.Pipeline;

namespace Course.Runner.Tests.Pipeline;

public sealed class ChapterScheduleTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static readonly Chapter[] Chapters =
    [
        new("00-a", "00", "/n/00-a.ipynb"), new("01-b", "01", "/n/01-b.ipynb"), new("02-c", "02", "/n/02-c.ipynb"), new("03-d", "03", "/n/03-d.ipynb"),
    ];

    [Fact]
    public void StartOrder_TwoJobs_TheLongestFirst_TheRestInChapterOrder()
    {
        var order = ChapterSchedule.StartOrder(Chapters, new Dictionary<string, double> { ["02-c"] = 70, ["01-b"] = 9, ["00-a"] = 5 }, jobs: 2);

        Assert.Equal([2, 0, 1, 3], order);
    }

    [Fact]
    public void StartOrder_ThreeJobs_TheTwoLongestFirst()
    {
        var order = ChapterSchedule.StartOrder(Chapters, new Dictionary<string, double> { ["02-c"] = 70, ["03-d"] = 9, ["00-a"] = 5 }, jobs: 3);

        Assert.Equal([2, 3, 0, 1], order);
    }

    [Fact]
    public void StartOrder_OneJob_ChapterOrder()
    {
        Assert.Equal([0, 1, 2, 3], ChapterSchedule.StartOrder(Chapters, new Dictionary<string, double> { ["02-c"] = 70 }, jobs: 1));
    }

    [Fact]
    public void StartOrder_NoDurations_ChapterOrder()
    {
        Assert.Equal([0, 1, 2, 3], ChapterSchedule.StartOrder(Chapters, new Dictionary<string, double>(), jobs: 2));
    }

    [Fact]
    public void Expected_QuickAndFullTimesKeptApart_ResultsJsonIsTheFallback()
    {
        var results = JsonNode.Parse("""{ "chapters": { "02-c": { "status": "ok", "durationSeconds": 70 }, "01-b": { "status": "ok", "durationSeconds": 8 } } }""")!.AsObject();
        var quick = ChapterSchedule.Signature(new Dictionary<string, string> { ["quick"] = "true" });
        ChapterSchedule.Record(_temp.Path, quick, [("02-c", TimeSpan.FromSeconds(2)), ("01-b", TimeSpan.FromSeconds(9))]);

        var forQuick = ChapterSchedule.Expected(_temp.Path, quick, results);
        var forFull = ChapterSchedule.Expected(_temp.Path, ChapterSchedule.Signature(new Dictionary<string, string>()), results);

        Assert.Equal(2, forQuick["02-c"]);
        Assert.Equal(9, forQuick["01-b"]);
        Assert.Equal(70, forFull["02-c"]);
        Assert.Equal([1, 0, 2, 3], ChapterSchedule.StartOrder(Chapters, forQuick, jobs: 2));
    }

    [Fact]
    public void Expected_DamagedTimesFile_FallsBackToResultsJson()
    {
        File.WriteAllText(Path.Combine(_temp.Path, ChapterSchedule.TimesFileName), "{ not json");
        var results = JsonNode.Parse("""{ "chapters": { "03-d": { "durationSeconds": 3 } } }""")!.AsObject();

        Assert.Equal(3, ChapterSchedule.Expected(_temp.Path, "", results)["03-d"]);
    }

    [Fact]
    public void OrderedReporter_LaterChapterReportsFirst_LinesAppearInChapterOrder()
    {
        var output = new StringWriter();
        var ordered = new OrderedRunReporter(new PlainRunReporter(output, output), 3);
        var first = ordered.For(0);
        var second = ordered.For(1);
        var third = ordered.For(2);

        second.ChapterStarting("01-b");
        second.Cell(new CellProgress("01-b", 1, 1, 0, "x", CellProgressStage.Starting));
        second.Cell(new CellProgress("01-b", 1, 1, 0, "x", CellProgressStage.Finished, TimeSpan.FromSeconds(1), true));
        second.ChapterFinished(new ChapterOutcome("01-b", "ok", TimeSpan.FromSeconds(1)));
        ordered.Complete(1);
        Assert.Equal("", output.ToString());

        first.ChapterStarting("00-a");
        Assert.Contains("== 00-a", output.ToString());
        first.Line("  wrote 00-a");
        ordered.Complete(0);
        third.ChapterStarting("02-c");

        var text = output.ToString();
        Assert.True(text.IndexOf("wrote 00-a", StringComparison.Ordinal) < text.IndexOf("== 01-b", StringComparison.Ordinal), text);
        Assert.True(text.IndexOf("[01-b] cell 1/1 (id x) ... ok (1.0 s)", StringComparison.Ordinal) < text.IndexOf("== 02-c", StringComparison.Ordinal), text);
    }

    [Fact]
    public void OrderedReporter_FlushAfterACancel_ReplaysHeldLinesOfUnfinishedChapters()
    {
        var output = new StringWriter();
        var ordered = new OrderedRunReporter(new PlainRunReporter(output, output), 2);
        ordered.For(1).ChapterStarting("01-b");
        ordered.For(0).ChapterStarting("00-a");

        ordered.Flush();

        var text = output.ToString();
        Assert.True(text.IndexOf("== 00-a", StringComparison.Ordinal) is >= 0 and var a && a < text.IndexOf("== 01-b", StringComparison.Ordinal), text);
    }
}
