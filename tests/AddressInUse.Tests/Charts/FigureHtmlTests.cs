using System.Text.RegularExpressions;
using AddressInUse.Charts;

namespace AddressInUse.Tests.Charts;

/// <summary>The HTML renderings draw with the embedded bundle and never reference a CDN.</summary>
public sealed class FigureHtmlTests
{
    private static Figure Sample(string name = "grid")
    {
        var figure = new Figure(name, "Grid");
        figure.Data.Add(Traces.Bars("count", ["a"], [1]));
        return figure;
    }

    [Fact]
    public void Fragment_WithoutBundle_IsADivAndANewPlotScript()
    {
        var html = FigureHtml.Fragment(Sample(), includeBundle: false);

        var id = Regex.Match(html, "<div id=\"(aiu-plot-grid-[0-9a-f]{32})\"").Groups[1].Value;
        Assert.NotEmpty(id);
        Assert.Contains($"var id = \"{id}\"", html);
        Assert.Contains("Plotly.newPlot(el, figure.data, figure.layout, { responsive: true, displaylogo: false })", html);
        Assert.StartsWith("<div id=", html);
        Assert.True(html.Length < 5_000, "the fragment without bundle should not carry plotly.js");
    }

    [Fact]
    public void Fragment_TwoCalls_UseDifferentIds()
    {
        var first = Regex.Match(FigureHtml.Fragment(Sample(), false), "<div id=\"([^\"]+)\"").Groups[1].Value;
        var second = Regex.Match(FigureHtml.Fragment(Sample(), false), "<div id=\"([^\"]+)\"").Groups[1].Value;

        Assert.NotEqual(first, second);
    }

    [Fact]
    public void Fragment_WithBundle_GuardsTheBundleWithWindowPlotlyCheck()
    {
        var html = FigureHtml.Fragment(Sample(), includeBundle: true);

        Assert.StartsWith("<script>\nif (!window.Plotly) {\n", html);
        Assert.Contains(PlotlyBundle.Script[..200], html);
    }

    [Fact]
    public void Fragment_AnyFigure_ReferencesNoNetworkAddress()
    {
        // The bundle itself mentions URLs in comments and unused code, so only our own code is checked.
        var html = FigureHtml.Fragment(Sample(), includeBundle: false);

        Assert.DoesNotContain("http", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("cdn", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<script src", html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Fragment_WaitingForPlotly_PollsWithTimersAndACap()
    {
        var html = FigureHtml.Fragment(Sample(), includeBundle: false);

        Assert.Contains("setTimeout(draw, 50)", html);
        Assert.Contains("var deadline = Date.now() + 30000", html);
        Assert.Contains("ResetNotebookBundle()", html);
    }

    [Fact]
    public void Page_TwoFigures_IsACompleteOfflinePageWithBundleOnce()
    {
        var html = FigureHtml.Page("Chapter <1>", [Sample("a"), Sample("b")]);

        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.Contains("<title>Chapter &lt;1&gt;</title>", html);
        Assert.Single(Regex.Matches(html, Regex.Escape(PlotlyBundle.Script[..200])));
        Assert.Equal(2, Regex.Matches(html, "<div id=\"aiu-plot-").Count);
        Assert.DoesNotContain("<script src", html, StringComparison.OrdinalIgnoreCase);
        Assert.EndsWith("</html>\n", html);
    }
}

/// <summary>ForNotebook keeps process-wide state, so its tests must not run beside each other.</summary>
[Collection(NotebookBundleCollection.Name)]
public sealed class FigureHtmlNotebookTests
{
    private const string BundleStart = "<script>\nif (!window.Plotly) {\n";

    [Fact]
    public void ForNotebook_FirstThenSecondFigure_OnlyFirstCarriesTheBundle()
    {
        FigureHtml.ResetNotebookBundle();
        var figure = new Figure("n");

        var first = FigureHtml.ForNotebook(figure);
        var second = FigureHtml.ForNotebook(figure);

        Assert.StartsWith(BundleStart, first);
        Assert.True(first.Length > 1_000_000);
        Assert.DoesNotContain(BundleStart, second);
        Assert.True(second.Length < 5_000);
    }

    [Fact]
    public void ResetNotebookBundle_AfterFirstFigure_NextFigureCarriesTheBundleAgain()
    {
        FigureHtml.ResetNotebookBundle();
        _ = FigureHtml.ForNotebook(new Figure("n"));

        FigureHtml.ResetNotebookBundle();
        var again = FigureHtml.ForNotebook(new Figure("n"));

        Assert.StartsWith(BundleStart, again);
    }
}

/// <summary>Tests that use FigureHtml's process-wide "bundle already sent" flag.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NotebookBundleCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "notebook bundle flag";
}
