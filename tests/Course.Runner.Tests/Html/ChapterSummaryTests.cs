using Course.Runner.Html;
using Course.Runner.Notebooks;
using Microsoft.DotNet.Interactive.Documents;

namespace Course.Runner.Tests.Html;

public sealed class ChapterSummaryTests
{
    [Fact]
    public void Of_NotebookWithObjectivesAndMinutes_ReadsTitleObjectivesAndDeclaredMinutes()
    {
        var notebook = NotebookCells.CreatePolyglot();
        notebook.Metadata["course"] = new Dictionary<string, object> { ["minutes"] = 25.0 };
        notebook.AddCell(NotebookCells.Markdown("# 08 — Client\n\nIntro.\n\n**In this chapter you will…**\n\n- bind a `fixed` port;\n- count ports\n  held by TIME_WAIT.\n- read a setting.\n\nAfter the list."));

        var summary = ChapterSummary.Of(notebook, "fallback");

        Assert.Equal("08 — Client", summary.Title);
        Assert.Equal(["bind a `fixed` port", "count ports held by TIME_WAIT", "read a setting"], summary.Objectives);
        Assert.Equal(25, summary.Minutes);
        Assert.False(summary.MinutesEstimated);
        Assert.Equal("25 min", summary.DurationText);
    }

    [Fact]
    public void Of_NoMetadataNoObjectives_EstimatesMinutesAndHasNoObjectives()
    {
        var notebook = NotebookCells.CreatePolyglot();
        notebook.AddCell(NotebookCells.Markdown("# Title\n\n- not an objective"));
        for (var i = 0; i < 7; i++)
        {
            notebook.AddCell(NotebookCells.Code("1"));
        }

        var summary = ChapterSummary.Of(notebook, "fallback");

        Assert.Empty(summary.Objectives);
        Assert.True(summary.MinutesEstimated);
        Assert.Equal(10, summary.Minutes);
        Assert.StartsWith("≈", summary.DurationText);
    }

    [Fact]
    public void IndexPage_WithSummaries_ShowsObjectivesAndDurationInTheChapterTable()
    {
        var page = IndexPageRenderer.Render(
        [
            new IndexEntry("08-c", "08 — C", "08-c.html", "ok", new ChapterSummary("08 — C", ["bind a `fixed` port", "count ports & sockets"], 25, false)),
            new IndexEntry("09-d", "09 — D", null, null, new ChapterSummary("09 — D", [], 15, true)),
        ], "Course");

        Assert.Contains("<table class=\"chapters\">", page);
        Assert.Contains("<code>fixed</code>", page);
        Assert.Contains("count ports &amp; sockets", page);
        Assert.Contains("<td class=\"duration\">25 min</td>", page);
        Assert.Contains("<td class=\"duration\">≈ 15 min</td>", page);
        Assert.DoesNotContain("<script", page);
        Assert.DoesNotContain("http", page.Replace("http-equiv", ""));
    }
}
