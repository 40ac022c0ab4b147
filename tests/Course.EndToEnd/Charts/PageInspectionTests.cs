using System.Text.Json;
using AddressInUse.Charts;
using Course.Runner.Images;

namespace Course.EndToEnd.Charts;

/// <summary>Page inspection with a real headless Chromium: charts actually drawn, and script errors.</summary>
[Collection(ChromiumCollection.Name)]
public sealed class PageInspectionTests(SharedBrowser browser) : IDisposable, IClassFixture<SharedBrowser>
{
    private readonly TempDirectory _folder = new();

    private async Task<PageInspection> InspectAsync(string page) => await new PageInspector(await browser.GetAsync()).InspectAsync(page);

    public void Dispose() => _folder.Dispose();

    private static Figure Figure(string name)
    {
        var figure = new Figure(name, name);
        figure.Data.Add(Traces.Lines("rtt", [0, 1, 2], [1, 3, 2]));
        return figure;
    }

    private string Write(string fileName, string html)
    {
        var path = Path.Combine(_folder.Path, fileName);
        File.WriteAllText(path, html);
        return path;
    }

    [BrowserFact]
    public async Task InspectAsync_PageWithTwoFigures_CountsTwoChartsAndNoErrors()
    {
        var page = Write("chapter.html", FigureHtml.Page("Chapter 1", [Figure("a"), Figure("b")]));

        var result = await InspectAsync(page);

        Assert.Empty(result.Errors);
        Assert.Equal(2, result.ChartsDrawn);
    }

    [BrowserFact]
    public async Task InspectAsync_PlotlyNetFigureJsonThroughFromJson_IsDrawnOfflineWithoutErrors()
    {
        // A learner's Plotly.NET chart (its toFigureJson output) displays through the course's own offline figure display.
        const string plotlyNet = """
            {"data":[{"type":"bar","x":["TIME_WAIT","ESTABLISHED"],"y":[3,1],"orientation":"v","marker":{}}],
             "layout":{"width":600,"height":400,"template":{"layout":{"paper_bgcolor":"white"},"data":{}}},"frames":[]}
            """;
        var page = Write("plotly-net.html", FigureHtml.Page("Plotly.NET", [AddressInUse.Charts.Figure.FromJson(plotlyNet)]));

        var result = await InspectAsync(page);

        Assert.Empty(result.Errors);
        Assert.Equal(1, result.ChartsDrawn);
    }

    [BrowserFact]
    public async Task InspectAsync_ScriptThrows_ReportsTheError()
    {
        var html = FigureHtml.Page("Broken", [Figure("a")])
            .Replace("</body>", "<script>throw new Error(\"boom\");</script>\n</body>");
        var page = Write("broken.html", html);

        var result = await InspectAsync(page);

        var error = Assert.Single(result.Errors);
        Assert.Contains("boom", error);
        Assert.Contains("broken.html", error);
        Assert.Equal(1, result.ChartsDrawn);
    }

    [BrowserFact]
    public async Task InspectAsync_NotebookOutputsSharingOnePage_DrawEveryChartOnceWithoutErrors()
    {
        // As in a VS Code notebook webview: a chart whose output comes before the bundle waits for
        // it, and a second bundle (from a restarted kernel) is skipped by its guard.
        var outputs = string.Concat(
            FigureHtml.Fragment(Figure("before-bundle"), includeBundle: false),
            FigureHtml.Fragment(Figure("with-bundle"), includeBundle: true),
            FigureHtml.Fragment(Figure("later"), includeBundle: false),
            FigureHtml.Fragment(Figure("restarted-kernel"), includeBundle: true));
        var page = Write("notebook.html", $"<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>{outputs}</body></html>");

        var result = await InspectAsync(page);

        Assert.Empty(result.Errors);
        Assert.Equal(4, result.ChartsDrawn);
    }

    [BrowserFact]
    public async Task InspectAsync_OutputsInsertedLikeTheVsCodeRenderer_DrawEveryChart()
    {
        // VS Code's HTML output renderer sets innerHTML (scripts do not run) and then re-creates
        // each script element; outputs arrive one by one, here the one with the bundle last.
        var outputs = JsonSerializer.Serialize(new[]
        {
            FigureHtml.Fragment(Figure("waits"), includeBundle: false),
            FigureHtml.Fragment(Figure("carries-bundle"), includeBundle: true),
        });
        var html = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body><script>\n" +
                   "var outputs = " + outputs + ";\n" + """
                   function render(html) {
                     var container = document.createElement("div");
                     document.body.appendChild(container);
                     container.innerHTML = html;
                     var scripts = Array.from(container.getElementsByTagName("script"));
                     scripts.forEach(function (old) {
                       var fresh = document.createElement("script");
                       fresh.text = old.innerText;
                       container.appendChild(fresh).parentNode.removeChild(fresh);
                     });
                   }
                   render(outputs[0]);
                   setTimeout(function () { render(outputs[1]); }, 500);
                   </script></body></html>
                   """;
        var page = Write("vscode.html", html);

        var result = await InspectAsync(page);

        Assert.Empty(result.Errors);
        Assert.Equal(2, result.ChartsDrawn);
    }

    [BrowserFact]
    public async Task InspectAsync_FragmentWithoutPlotlyOnThePage_ReportsThatPlotlyIsMissing()
    {
        var page = Write("no-bundle.html", $"<!DOCTYPE html><html><body>{FigureHtml.Fragment(Figure("lonely"), includeBundle: false)}</body></html>");

        var result = await InspectAsync(page);

        Assert.Equal(0, result.ChartsDrawn);
        Assert.Contains(result.Errors, e => e.Contains("plotly.js is not loaded on this page", StringComparison.Ordinal));
    }

    [BrowserFact]
    public async Task InspectAsync_RelativeScripts_LoadFromThePagesOwnFolder()
    {
        File.WriteAllText(Path.Combine(_folder.Path, "helper.js"), "throw new Error('helper ran');");
        var page = Write("relative.html",
            "<!DOCTYPE html><html><head><script src=\"helper.js\"></script><script src=\"missing.js\"></script></head><body></body></html>");

        var result = await InspectAsync(page);

        Assert.Contains(result.Errors, e => e.Contains("helper ran", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.StartsWith("Failed to load <script>", StringComparison.Ordinal) && e.EndsWith("missing.js", StringComparison.Ordinal));
        Assert.Equal(["helper.js", "relative.html"], Directory.EnumerateFiles(_folder.Path).Select(f => Path.GetFileName(f)!).Order().ToArray());
    }

    [BrowserFact]
    public async Task InspectAsync_PageWithTheBundle_RunsThePinnedPlotlyVersion()
    {
        var page = Write("version.html",
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><script>" + PlotlyBundle.Script + "</script></head>" +
            "<body><script>throw new Error('plotly ' + (window.Plotly ? Plotly.version : 'none'));</script></body></html>");

        var result = await InspectAsync(page);

        Assert.Contains(result.Errors, e => e.Contains($"plotly {PlotlyBundle.Version}", StringComparison.Ordinal));
    }

    [BrowserFact]
    public async Task InspectAsync_NoSuchFile_ThrowsFileNotFoundNamingIt()
    {
        var missing = Path.Combine(_folder.Path, "nope.html");

        var error = await Assert.ThrowsAsync<FileNotFoundException>(() => InspectAsync(missing));

        Assert.Contains(missing, error.Message);
    }
}
