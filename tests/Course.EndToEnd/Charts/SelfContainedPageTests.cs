using AddressInUse.Charts;
using Course.Runner.Html;
using Course.Runner.Images;
using Course.Runner.Notebooks;
using Microsoft.DotNet.Interactive.Documents;

namespace Course.EndToEnd.Charts;

/// <summary>A chapter page is one self-contained file: copied alone to another folder, every image and chart still draws and it loads nothing else.</summary>
[Collection(ChromiumCollection.Name)]
public sealed class SelfContainedPageTests(SharedBrowser browser) : IDisposable, IClassFixture<SharedBrowser>
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private static Figure Chart()
    {
        var figure = new Figure("restart-timeline", "A1 restart after kill");
        figure.Data.Add(Traces.Lines("entries", [0, 1, 2], [1, 3, 2]));
        return figure;
    }

    /// <summary>Renders a notebook as `course run` does (notebooks/ → out/linux/), then copies the page alone to a folder of its own.</summary>
    private string RenderAndCopyAlone(InteractiveDocument notebook, string fileName)
    {
        var output = Path.Combine(_folder.Path, "out", "linux");
        Directory.CreateDirectory(output);
        var page = new ChapterPageRenderer().Render(notebook, new ChapterPageOptions
        {
            SourceDirectory = Checkout.Path("notebooks"),
            OutputDirectory = output,
        });
        var alone = Path.Combine(_folder.Path, "elsewhere", "deeper");
        Directory.CreateDirectory(alone);
        var copy = Path.Combine(alone, fileName);
        File.WriteAllText(copy, page);
        return copy;
    }

    [BrowserFact]
    public async Task ChapterTwoPage_CopiedAloneToAnotherFolder_DrawsItsStateDiagramAndChartAndRequestsNothing()
    {
        // The committed chapter 02 (its state diagram is a cell attachment) with a chart output, as after a run.
        var notebook = NotebookReader.ReadFile(Checkout.Path("notebooks", "02-the-four-way-close.ipynb"));
        var chartCell = notebook.Elements.First(c => c.IsCode());
        chartCell.Outputs.Add(NotebookOutputs.Display(new Dictionary<string, object> { [AddressInUse.Display.MimeTypes.Plotly] = Chart().ToJson() }));
        var copy = RenderAndCopyAlone(notebook, "02-the-four-way-close.html");

        var result = await new PageInspector(await browser.GetAsync()).InspectAsync(copy);

        Assert.True(result.Errors.Count == 0, result.ToString());
        Assert.Equal(1, result.ChartsDrawn);
        Assert.True(result.ImagesDrawn >= 1, $"the state diagram did not draw: {result}");
        Assert.True(result.Requests!.Count == 0, "the page asked for other files: " + string.Join(", ", result.Requests));
    }

    [BrowserFact]
    public async Task PageLinkingAnImageFile_CopiedAlone_ReportsTheBrokenImageAndItsRequest()
    {
        // The check itself must be able to fail: an <img> pointing at a file beside the original page is missing in the copy.
        var notebook = NotebookCells.CreatePolyglot();
        var cell = notebook.AddCell(NotebookCells.Code("display(x)"));
        cell.Outputs.Add(NotebookOutputs.Display(new Dictionary<string, object> { ["text/html"] = "<img alt=\"diagram\" src=\"../../images/c2-four-way-close.svg\">" }));
        var copy = RenderAndCopyAlone(notebook, "linked.html");

        var result = await new PageInspector(await browser.GetAsync()).InspectAsync(copy);

        Assert.Contains(result.Errors, e => e.Contains("diagram", StringComparison.Ordinal));
        Assert.Equal(0, result.ImagesDrawn);
        Assert.Contains(result.Requests!, r => r.EndsWith("c2-four-way-close.svg", StringComparison.Ordinal));
    }
}
