using System.Text.Json.Nodes;
using AddressInUse.Display;
using Course.Runner.Charts;
using Course.Runner.Images;
using Course.Runner.Notebooks;
using Microsoft.DotNet.Interactive.Documents;

namespace Course.Runner.Tests.Charts;

/// <summary>Executed notebooks carry each chart's exported image, so viewers that run no script still draw it.</summary>
[Collection(ChromiumCollection.Name)]
public sealed class StaticFigureImagesTests : IDisposable
{
    private const string Svg = """<svg xmlns="http://www.w3.org/2000/svg" width="120" height="60"><rect width="120" height="60" fill="#1f77b4"/></svg>""";

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Attach_TwoFiguresAndText_EachFigureGetsItsOwnSvgAndTheTextIsUntouched()
    {
        var notebook = NotebookWith(Figure("a"), new Dictionary<string, object> { ["text/plain"] = "not a chart" }, Figure("b"));
        var charts = ChartCollector.Collect(notebook, "01-x");
        File.WriteAllText(Path.Combine(_temp.Path, charts[0].fileName), Svg.Replace("#1f77b4", "#000001"));
        File.WriteAllText(Path.Combine(_temp.Path, charts[1].fileName), Svg.Replace("#1f77b4", "#000002"));

        var attached = StaticFigureImages.Attach(notebook, charts, _temp.Path);

        Assert.Equal(2, attached);
        var data = notebook.Elements[0].Outputs.MimeData().ToList();
        Assert.Contains("#000001", (string)data[0][StaticFigureImages.SvgMimeType]);
        Assert.Contains("#000002", (string)data[2][StaticFigureImages.SvgMimeType]);
        Assert.StartsWith($"<div class=\"{StaticFigureImages.FallbackClass}\"", (string)data[0][MimeTypes.Html]);
        Assert.Equal(["text/plain"], data[1].Keys);
    }

    [Fact]
    public void Attach_ImageMissing_LeavesTheFigureAsItWas()
    {
        var notebook = NotebookWith(Figure("a"));
        var charts = ChartCollector.Collect(notebook, "01-x");

        Assert.Equal(0, StaticFigureImages.Attach(notebook, charts, _temp.Path));
        Assert.DoesNotContain(StaticFigureImages.SvgMimeType, notebook.Elements[0].Outputs.MimeData().Single().Keys);
    }

    [BrowserFact]
    public async Task FigureHtml_ScriptsOff_ShowsTheStaticImage_ScriptsOn_RemovesIt()
    {
        var html = StaticFigureImages.WithFallback("<div id=\"live\">live chart</div>", Svg, 1);
        var page = Path.Combine(_temp.Path, "figure.html");
        File.WriteAllText(page, $"<!DOCTYPE html><html><body>{html}</body></html>");
        await using var browser = await HeadlessBrowser.LaunchAsync();

        await using (var scriptsOff = await browser.NewPageAsync())
        {
            // What untrusted Jupyter, GitHub and nbviewer do with the output's HTML: no script runs.
            await scriptsOff.SetJavaScriptEnabledAsync(false);
            await scriptsOff.GoToAsync(new Uri(page).AbsoluteUri);
            await scriptsOff.SetJavaScriptEnabledAsync(true);
            var width = await scriptsOff.EvaluateExpressionAsync<int>($"(document.querySelector('.{StaticFigureImages.FallbackClass} img') || {{naturalWidth: 0}}).naturalWidth");
            Assert.Equal(120, width);
        }

        await using var scriptsOn = await browser.NewPageAsync();
        await scriptsOn.GoToAsync(new Uri(page).AbsoluteUri);
        Assert.Equal(0, await scriptsOn.EvaluateExpressionAsync<int>($"document.querySelectorAll('.{StaticFigureImages.FallbackClass}').length"));
        Assert.Equal(1, await scriptsOn.EvaluateExpressionAsync<int>("document.querySelectorAll('#live').length"));
    }

    private static IDictionary<string, object> Figure(string name) => new Dictionary<string, object>
    {
        [MimeTypes.Plotly] = new JsonObject { ["data"] = new JsonArray(), ["layout"] = new JsonObject { ["meta"] = new JsonObject { ["name"] = name } } },
        [MimeTypes.Html] = $"<div>{name}</div>",
    };

    private static InteractiveDocument NotebookWith(params IDictionary<string, object>[] bundles)
    {
        var notebook = NotebookCells.CreatePolyglot();
        var cell = notebook.AddCell(NotebookCells.Code("x"));
        foreach (var bundle in bundles)
        {
            cell.Outputs.Add(NotebookOutputs.Display(bundle));
        }
        return notebook;
    }
}
