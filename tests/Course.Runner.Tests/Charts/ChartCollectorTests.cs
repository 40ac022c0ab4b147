using System.Text.Json.Nodes;
using Course.Runner.Charts;
using Course.Runner.Notebooks;
using Microsoft.DotNet.Interactive.Documents;
using AddressInUse.Display;

namespace Course.Runner.Tests.Charts;

public sealed class ChartCollectorTests
{
    [Fact]
    public void Collect_NamesByMetaNameOrChartN_WithTheChapterStem()
    {
        var notebook = NotebookWith(
            Figure("restart-timeline"),
            new Dictionary<string, object> { ["text/plain"] = "not a chart" },
            Figure(null),
            Figure("we ird/name"));

        var charts = ChartCollector.Collect(notebook, "01-x");

        Assert.Equal(["01-x-restart-timeline.svg", "01-x-chart-2.svg", "01-x-we-ird-name.svg"], charts.Select(c => c.fileName));
        Assert.Equal("restart-timeline", (string?)JsonNode.Parse(charts[0].figureJson)!["layout"]!["meta"]!["name"]);
    }

    [Fact]
    public void Collect_SameMetaNameTwice_GetsADistinctFileName()
    {
        var charts = ChartCollector.Collect(NotebookWith(Figure("a"), Figure("a")), "02-y");

        Assert.Equal(["02-y-a.svg", "02-y-a-2.svg"], charts.Select(c => c.fileName));
    }

    [Fact]
    public async Task NoOpExporter_WithCharts_SaysTheExporterIsNotAvailable()
    {
        var log = new StringWriter();

        await new NoOpChartImageExporter(log).ExportAsync([("a.svg", "{}")], "/tmp/images");

        Assert.Contains("chart images: exporter not available yet", log.ToString());
    }

    private static IDictionary<string, object> Figure(string? name)
    {
        var layout = name is null ? new JsonObject() : new JsonObject { ["meta"] = new JsonObject { ["name"] = name } };
        return new Dictionary<string, object> { [MimeTypes.Plotly] = new JsonObject { ["data"] = new JsonArray(), ["layout"] = layout } };
    }

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
