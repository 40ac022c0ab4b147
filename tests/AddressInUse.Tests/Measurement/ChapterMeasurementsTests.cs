using System.Text.Json.Nodes;
using AddressInUse.Measurement;

namespace AddressInUse.Tests.Measurement;

/// <summary>The measure verb repeats the chapters' own calls: each call it makes is spelled the same in the chapter's notebook.</summary>
public sealed class ChapterMeasurementsTests
{
    [Fact]
    public void EveryCall_OfEveryMeasuredChapter_AppearsInThatChaptersNotebook()
    {
        foreach (var plan in ChapterMeasurements.All)
        {
            var code = NotebookCode(plan.Chapter);
            foreach (var call in plan.Calls)
            {
                Assert.True(code.Contains(call.NotebookCall, StringComparison.Ordinal), $"{plan.Chapter} no longer calls {call.NotebookCall}; update ChapterMeasurements.");
            }
        }
    }

    [Fact]
    public void EveryKnownCall_ItsChaptersNotebookMakes_IsInThatChaptersPlan()
    {
        // The notebook is the authority: a measured chapter that makes a known call must measure it here too.
        foreach (var plan in ChapterMeasurements.All)
        {
            var code = NotebookCode(plan.Chapter);
            var missing = ChapterMeasurements.Calls.All.Where(c => code.Contains(c.NotebookCall, StringComparison.Ordinal) && !plan.Calls.Contains(c)).Select(c => c.Name).ToList();

            Assert.True(missing.Count == 0, $"{plan.Chapter}'s notebook makes {string.Join(", ", missing)}, which its plan leaves out; add them to ChapterMeasurements.All.");
        }
    }

    [Fact]
    public void Calls_EachWrittenOnce_SharedByTheChaptersThatMakeIt()
    {
        var used = ChapterMeasurements.All.SelectMany(p => p.Calls).ToList();

        Assert.Equal(ChapterMeasurements.Calls.All.Count, ChapterMeasurements.Calls.All.Select(c => c.Name).Distinct().Count());
        Assert.All(used, c => Assert.Contains(c, ChapterMeasurements.Calls.All));
        Assert.All(ChapterMeasurements.Calls.All, c => Assert.Contains(c, used));
    }

    [Fact]
    public void Select_UnknownChapter_NamesTheMeasurableOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => ChapterMeasurements.Select(["07"]));

        Assert.Contains("01, 05, 10", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NoOut_IsAClearError()
    {
        var e = Assert.Throws<ArgumentException>(() => MeasureOptions.Parse(["--quick"]));

        Assert.Contains("--out is required", e.Message, StringComparison.Ordinal);
    }

    private static string NotebookCode(string chapter)
    {
        var path = Checkout.Path("notebooks", chapter + ".ipynb");
        var cells = JsonNode.Parse(File.ReadAllText(path))!["cells"]!.AsArray();
        return string.Join("\n", cells.Where(c => c!["cell_type"]!.GetValue<string>() == "code")
            .Select(c => c!["source"] is JsonArray lines ? string.Concat(lines.Select(l => l!.GetValue<string>())) : c["source"]!.GetValue<string>()));
    }
}

/// <summary>How the measure verb files a call that fails, gives up on a wait of its own, or outlives the call timeout.</summary>
public sealed class MeasureAsyncStatusTests
{
    [Fact]
    public async Task MeasureAsync_CallThrowsItsOwnTimeout_IsFailedWithTheCallsMessageNotHung()
    {
        var plan = new ChapterPlan("99-test", [new ChapterCall("waits", "Waits()", _ => throw new TimeoutException("Gave up after 5 s waiting for the holder."))]);

        var results = await MeasureCommand.MeasureAsync([plan], quick: true, TextWriter.Null, TimeSpan.FromSeconds(60));

        var entry = results["chapters"]!["99-test"]!;
        Assert.Equal("failed", entry["status"]!.GetValue<string>());
        Assert.Contains("Gave up after 5 s waiting for the holder.", entry["failure"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MeasureAsync_CallOutlivesTheCallTimeout_IsHungAndLaterChaptersAreNotRun()
    {
        var stuck = new TaskCompletionSource<IReadOnlyList<AddressInUse.Cases.CaseRecord>>();
        var plans = new[]
        {
            new ChapterPlan("98-test", [new ChapterCall("stuck", "Stuck()", _ => stuck.Task)]),
            new ChapterPlan("99-test", [new ChapterCall("fine", "Fine()", _ => Task.FromResult<IReadOnlyList<AddressInUse.Cases.CaseRecord>>([]))]),
        };

        var results = await MeasureCommand.MeasureAsync(plans, quick: true, TextWriter.Null, TimeSpan.FromMilliseconds(200));

        Assert.Equal("hung", results["chapters"]!["98-test"]!["status"]!.GetValue<string>());
        Assert.Equal("not_run", results["chapters"]!["99-test"]!["status"]!.GetValue<string>());
        stuck.SetResult([]);
    }
}
