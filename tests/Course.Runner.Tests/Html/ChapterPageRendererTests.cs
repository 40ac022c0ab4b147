using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Course.Runner.Html;
using Course.Runner.Notebooks;
using Microsoft.DotNet.Interactive.Documents;
using AddressInUse.Display;
using AddressInUse.Verdicts;

namespace Course.Runner.Tests.Html;

public sealed class ChapterPageRendererTests
{
    private const string FakePlotly = "/* FAKE-PLOTLY-BUNDLE */ window.Plotly = { newPlot: function () {} };";

    private static readonly ChapterPageRenderer Renderer = new(new FixedPlotlyScriptSource(FakePlotly));

    [Fact]
    public void Render_MarkdownCell_IsRenderedWithHeadingsEmphasisAndPipeTables()
    {
        var notebook = NotebookCells.CreatePolyglot();
        notebook.AddCell(NotebookCells.Markdown("# 01 — Title\n\nSome *emphasis*.\n\n| state | count |\n|---|---|\n| TIME_WAIT | 3 |"));

        var page = Renderer.Render(notebook, new ChapterPageOptions());

        Assert.Contains("<h1 id=", page);
        Assert.Contains("<em>emphasis</em>", page);
        Assert.Contains("<table>", page);
        Assert.Contains("<td>TIME_WAIT</td>", page);
        Assert.Contains("<title>01 — Title</title>", page);
    }

    [Fact]
    public void Render_CodeCell_ShowsEscapedSourceThenItsOutputs()
    {
        var notebook = NotebookCells.CreatePolyglot();
        var cell = notebook.AddCell(NotebookCells.Code("if (a < b) Console.WriteLine(\"x\");"));
        cell.ExecutionOrder = 3;
        cell.Outputs.Add(new TextElement("printed <text>\n", "stdout"));
        cell.Outputs.Add(new TextElement("warned\n", "stderr"));
        cell.Outputs.Add(NotebookOutputs.Result(3, new Dictionary<string, object> { ["text/plain"] = "plain & simple" }));
        cell.Outputs.Add(NotebookOutputs.Error("InvalidOperationException", "boom", ["\u001b[31mtrace line\u001b[0m"]));

        var page = Renderer.Render(notebook, new ChapterPageOptions());

        var source = page.IndexOf("<pre><code class=\"language-csharp\">if (a &lt; b) Console.WriteLine(&quot;x&quot;);</code></pre>", StringComparison.Ordinal);
        Assert.True(source > 0, "the escaped source is shown in pre/code");
        Assert.True(page.IndexOf("printed &lt;text&gt;", StringComparison.Ordinal) > source, "outputs follow the source");
        Assert.Contains("<pre class=\"stderr\">warned", page);
        Assert.Contains("<pre>plain &amp; simple</pre>", page);
        Assert.Contains("<div class=\"output error\"><strong>InvalidOperationException</strong>: boom<pre>trace line</pre></div>", page);
        Assert.Contains("[3]", page);
    }

    [Fact]
    public void Render_RichOutputs_HtmlInjectedAsIsSvgInlineImagesAsDataUris()
    {
        var notebook = NotebookCells.CreatePolyglot();
        var cell = notebook.AddCell(NotebookCells.Code("x"));
        cell.Outputs.Add(NotebookOutputs.Display(new Dictionary<string, object> { ["text/html"] = "<table class=\"mine\"></table>", ["text/plain"] = "ignored" }));
        cell.Outputs.Add(NotebookOutputs.Display(new Dictionary<string, object> { ["image/svg+xml"] = "<svg id=\"s1\"></svg>" }));
        cell.Outputs.Add(NotebookOutputs.Display(new Dictionary<string, object> { ["image/png"] = "iVBORw0KGgo=" }));

        var page = Renderer.Render(notebook, new ChapterPageOptions());

        Assert.Contains("<table class=\"mine\"></table>", page);
        Assert.DoesNotContain("ignored", page);
        Assert.Contains("<svg id=\"s1\"></svg>", page);
        Assert.Contains("src=\"data:image/png;base64,iVBORw0KGgo=\"", page);
    }

    [Fact]
    public void Render_SeveralPlotlyFigures_InlinesPlotlyOnceAndDrawsEach()
    {
        var notebook = NotebookCells.CreatePolyglot();
        var cell = notebook.AddCell(NotebookCells.Code("charts"));
        var withHtml = Figure("a");
        withHtml["text/html"] = "<div>figure html with its own bundle</div>";
        cell.Outputs.Add(NotebookOutputs.Display(withHtml));
        cell.Outputs.Add(NotebookOutputs.Result(1, Figure("b")));
        notebook.AddCell(NotebookCells.Code("more")).Outputs.Add(NotebookOutputs.Display(Figure("c")));

        var page = Renderer.Render(notebook, new ChapterPageOptions());

        Assert.Equal(1, Regex.Count(page, "FAKE-PLOTLY-BUNDLE"));
        Assert.Equal(1, Regex.Count(page, Regex.Escape(ChapterPageRenderer.PlotlyMarker)));
        Assert.Equal(3, Regex.Count(page, "Plotly.newPlot\\("));
        Assert.DoesNotContain("figure html with its own bundle", page);
        Assert.True(page.IndexOf("FAKE-PLOTLY-BUNDLE", StringComparison.Ordinal) < page.IndexOf("Plotly.newPlot(", StringComparison.Ordinal));
    }

    [Fact]
    public void Render_NoFigures_DoesNotInlinePlotly()
    {
        var notebook = NotebookCells.CreatePolyglot();
        notebook.AddCell(NotebookCells.Code("1")).Outputs.Add(NotebookOutputs.Result(1, new Dictionary<string, object> { ["text/plain"] = "1" }));

        var page = Renderer.Render(notebook, new ChapterPageOptions());

        Assert.DoesNotContain("FAKE-PLOTLY-BUNDLE", page);
    }

    [Fact]
    public void Render_PlotlyUnavailable_ShowsANoticeAndTheFigureData()
    {
        var notebook = NotebookCells.CreatePolyglot();
        notebook.AddCell(NotebookCells.Code("c")).Outputs.Add(NotebookOutputs.Display(Figure("a")));

        var page = new ChapterPageRenderer(new FixedPlotlyScriptSource(null)).Render(notebook, new ChapterPageOptions());

        Assert.Contains("plotly.js is not available", page);
        Assert.Contains("&quot;meta&quot;", page);
        Assert.DoesNotContain("Plotly.newPlot(", page);
    }

    [Fact]
    public void Render_FigureTextContainingScriptEnd_CannotBreakOutOfTheScript()
    {
        var notebook = NotebookCells.CreatePolyglot();
        var figure = new Dictionary<string, object> { [MimeTypes.Plotly] = new JsonObject { ["data"] = new JsonArray(), ["layout"] = new JsonObject { ["title"] = "</script><b>x</b>" } } };
        notebook.AddCell(NotebookCells.Code("c")).Outputs.Add(NotebookOutputs.Display(figure));

        var page = Renderer.Render(notebook, new ChapterPageOptions());

        Assert.DoesNotContain("</script><b>x</b>", page);
    }

    [Fact]
    public void Render_WithNeighbours_HasPreviousIndexAndNextLinksAtTopAndBottom()
    {
        var notebook = NotebookCells.CreatePolyglot();
        notebook.AddCell(NotebookCells.Markdown("# Two"));

        var page = Renderer.Render(notebook, new ChapterPageOptions
        {
            Previous = new PageLink("01 — One", "01-one.html"),
            Next = new PageLink("03 — Three", "03-three.html"),
        });

        Assert.Equal(2, Regex.Count(page, "<a rel=\"prev\" href=\"01-one.html\">← 01 — One</a>"));
        Assert.Equal(2, Regex.Count(page, "<a rel=\"next\" href=\"03-three.html\">03 — Three →</a>"));
        Assert.Equal(2, Regex.Count(page, "<a rel=\"index\" href=\"index.html\">"));
    }

    [Fact]
    public void Render_FailedRun_ShowsTheFailureAtTheTop()
    {
        var notebook = NotebookCells.CreatePolyglot();
        notebook.AddCell(NotebookCells.Markdown("# T"));

        var page = Renderer.Render(notebook, new ChapterPageOptions { FailureMessage = "cell 3 (id x) threw <boom>" });

        Assert.Contains("did not run to the end", page);
        Assert.Contains("cell 3 (id x) threw &lt;boom&gt;", page);
    }

    [Fact]
    public void TitleOf_UsesTheFirstHeadingAsPlainText_OrTheFallback()
    {
        var withHeading = NotebookCells.CreatePolyglot();
        withHeading.AddCell(NotebookCells.Markdown("intro without heading"));
        withHeading.AddCell(NotebookCells.Markdown("## The `SO_REUSEADDR` *option*\n# later"));
        var without = NotebookCells.CreatePolyglot();
        without.AddCell(NotebookCells.Code("1"));

        Assert.Equal("The SO_REUSEADDR option", ChapterPageRenderer.TitleOf(withHeading, "fallback"));
        Assert.Equal("fallback", ChapterPageRenderer.TitleOf(without, "fallback"));
    }

    [Fact]
    public void Render_RelativeLinks_AreRewrittenForTheOutputFolder()
    {
        var root = Path.Combine(Path.GetTempPath(), "repo");
        var notebook = NotebookCells.CreatePolyglot();
        notebook.AddCell(NotebookCells.Markdown("[readme](../README.md) [next](02-next.ipynb#top) [web](https://example.org) [here](#anchor) ![img](../images/linux/a%20b.svg)"));

        var page = Renderer.Render(notebook, new ChapterPageOptions
        {
            SourceDirectory = Path.Combine(root, "notebooks"),
            OutputDirectory = Path.Combine(root, "out", "linux"),
        });

        Assert.Contains("href=\"../../README.md\"", page);
        Assert.Contains("href=\"02-next.html#top\"", page);
        Assert.Contains("href=\"https://example.org\"", page);
        Assert.Contains("href=\"#anchor\"", page);
        Assert.Contains("src=\"../../images/linux/a%20b.svg\"", page);
    }

    [Fact]
    public void Render_ImageFileBesideTheNotebookAndACellAttachment_BothInlinedAsDataUris()
    {
        using var repo = new Course.TestUtilities.TempDirectory();
        const string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"4\" height=\"4\"/>";
        File.WriteAllText(repo.File("images/diagram.svg"), svg);
        var notebook = NotebookCells.CreatePolyglot();
        var cell = notebook.AddCell(NotebookCells.Markdown("![file](../images/diagram.svg) ![attached](attachment:close.svg)"));
        cell.MetadataOf()[NotebookCells.AttachmentsKey] = new Dictionary<string, object> { ["close.svg"] = new Dictionary<string, object> { ["image/svg+xml"] = Convert.ToBase64String("<svg id=\"a\"/>"u8.ToArray()) } };

        var page = Renderer.Render(notebook, new ChapterPageOptions
        {
            SourceDirectory = Path.Combine(repo.Path, "notebooks"),
            OutputDirectory = Path.Combine(repo.Path, "out", "linux"),
        });

        Assert.Contains($"src=\"data:image/svg+xml;base64,{Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(svg))}\"", page);
        Assert.Contains($"src=\"data:image/svg+xml;base64,{Convert.ToBase64String("<svg id=\"a\"/>"u8.ToArray())}\"", page);
        Assert.DoesNotContain("images/diagram.svg", page);
        Assert.DoesNotContain("attachment:", page);
    }

    [Fact]
    public void Render_CellWithSourceHidden_ShowsItsOutputAndTheSourceOnlyBehindADisclosure()
    {
        var notebook = NotebookCells.CreatePolyglot();
        var check = notebook.AddCell(NotebookCells.Code("text.Check(\"p\", \"A sentence.\", cases, c => c.Ok)"));
        VerdictCells.HideSource(check);
        check.Outputs.Add(NotebookOutputs.Display(new Dictionary<string, object> { ["text/html"] = "<p class=\"verdict\">holds</p>" }));
        notebook.AddCell(NotebookCells.Code("var visible = 1;"));

        var page = Renderer.Render(notebook, new ChapterPageOptions());

        Assert.Matches(new Regex("<details class=\"source\"><summary>show the check \\[ \\]</summary><pre><code class=\"language-csharp\">text.Check"), page);
        Assert.Contains("<p class=\"verdict\">holds</p>", page);
        Assert.Contains("<div class=\"source\"><div class=\"prompt\">[ ]</div><pre><code class=\"language-csharp\">var visible = 1;", page);
        Assert.Single(Regex.Matches(page, "<details class=\"source\">"));
    }

    [Fact]
    public void Render_VerdictLinks_ShowTheStateOfTheVerdictTheyPointTo()
    {
        var notebook = NotebookCells.CreatePolyglot();
        notebook.AddCell(NotebookCells.Markdown(
            "Measured sentence. [✓](#verdict-held)\nUnmeasured sentence. [✓](#verdict-skipped)\nRefuted sentence. [✓](#verdict-refuted)\n"
            + "Sentence whose verdict never ran. [✓](#verdict-absent)"));
        var check = notebook.AddCell(NotebookCells.Code("text.Check(...)"));
        foreach (var (paragraph, kind) in new[] { ("held", TextVerdictKind.Holds), ("skipped", TextVerdictKind.NotMeasured), ("refuted", TextVerdictKind.DoesNotHold) })
        {
            var verdict = new TextVerdict { Chapter = "02", Paragraph = paragraph, Sentence = "A sentence.", Kind = kind, Measured = "m", Evidence = [] };
            check.Outputs.Add(NotebookOutputs.Display(new Dictionary<string, object> { [MimeTypes.Html] = verdict.ToHtml(), [MimeTypes.Verdicts] = verdict.ToJson() }));
        }

        var page = Renderer.Render(notebook, new ChapterPageOptions());

        Assert.Matches("<a href=\"#verdict-held\"[^>]*class=\"verdict-mark holds\"[^>]*>✓</a>", page);
        Assert.Matches("<a href=\"#verdict-skipped\"[^>]*class=\"verdict-mark not-measured\"[^>]*>○</a>", page);
        Assert.Matches("<a href=\"#verdict-refuted\"[^>]*class=\"verdict-mark does-not-hold\"[^>]*>✘</a>", page);
        Assert.Matches("<a href=\"#verdict-absent\"[^>]*class=\"verdict-mark not-measured\"[^>]*>○</a>", page);
    }

    [Fact]
    public void IndexPage_ListsChaptersWithLinksStatusesAndUnrunOnes()
    {
        var page = IndexPageRenderer.Render(
        [
            new IndexEntry("01-a", "01 — A", "01-a.html", "ok"),
            new IndexEntry("02-b", "02 — B & C", "02-b.html", "failed"),
            new IndexEntry("03-c", "03 — C", null, null),
        ], "Course", "subtitle");

        Assert.Contains("<a href=\"01-a.html\">01 — A</a> <span class=\"status ok\">ok</span>", page);
        Assert.Contains("<a href=\"02-b.html\">02 — B &amp; C</a> <span class=\"status failed\">failed</span>", page);
        Assert.Contains("03 — C</span> <span class=\"notice\">(not run yet)</span>", page);
        Assert.DoesNotContain("03-c.html", page);
        Assert.DoesNotContain("not hold", page);
    }

    [Fact]
    public void IndexPage_ChapterRanButAVerdictFailed_ShowsOkAndTheFailedVerdictCount()
    {
        var page = IndexPageRenderer.Render(
        [
            new IndexEntry("01-a", "01 — A", "01-a.html", "ok", VerdictsNotHolding: 1),
            new IndexEntry("02-b", "02 — B", "02-b.html", "ok", VerdictsNotHolding: 3),
            new IndexEntry("03-c", "03 — C", "03-c.html", "ok"),
        ], "Course");

        Assert.Contains("<a href=\"01-a.html\">01 — A</a> <span class=\"status ok\">ok</span> <span class=\"status failed\">1 verdict does not hold</span>", page);
        Assert.Contains("<span class=\"status failed\">3 verdicts do not hold</span>", page);
        Assert.Contains("<a href=\"03-c.html\">03 — C</a> <span class=\"status ok\">ok</span></td>", page);
    }

    [Fact]
    public void IndexPage_ChapterWithVerdictsNotMeasured_ShowsHowManyBesideOk()
    {
        var page = IndexPageRenderer.Render(
        [
            new IndexEntry("02-b", "02 — B", "02-b.html", "ok", VerdictsNotMeasured: 2),
            new IndexEntry("03-c", "03 — C", "03-c.html", "ok", VerdictsNotMeasured: 1),
        ], "Course");

        Assert.Contains("<a href=\"02-b.html\">02 — B</a> <span class=\"status ok\">ok</span> <span class=\"status not-measured\">○ 2 verdicts not measured in this run</span>", page);
        Assert.Contains("○ 1 verdict not measured in this run", page);
    }

    private static IDictionary<string, object> Figure(string name) => new Dictionary<string, object> { [MimeTypes.Plotly] = new JsonObject
    {
        ["data"] = new JsonArray(new JsonObject { ["type"] = "bar", ["y"] = new JsonArray(1, 2) }),
        ["layout"] = new JsonObject { ["meta"] = new JsonObject { ["name"] = name } },
    } };
}
