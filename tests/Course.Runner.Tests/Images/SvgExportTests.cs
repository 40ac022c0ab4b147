using System.Text.Json.Nodes;
using System.Xml.Linq;
using AddressInUse.Charts;
using Course.Runner.Images;

namespace Course.Runner.Tests.Images;

/// <summary>SVG export with a real headless Chromium.</summary>
[Collection(ChromiumCollection.Name)]
public sealed class SvgExportTests : IDisposable
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private static Figure BarFigure(string name, string traceName, string title)
    {
        var figure = new Figure(name, title);
        figure.Data.Add(Traces.Bars(traceName, ["bind", "rebind"], [3, 1]));
        figure.Layout["showlegend"] = true;
        return figure;
    }

    private static Figure TimelineFigure()
    {
        var figure = new Figure("restart-timeline", "Restart timeline");
        figure.Data.Add(Traces.Segments("TIME_WAIT", ["conn 1", "conn 2"], [0, 1], [60, 61], color: "#d62728"));
        figure.Data.Add(Traces.Markers("bind failed", [5.0], ["conn 1"], symbol: "x"));
        figure.Layout["width"] = 640;
        figure.Layout["height"] = 320;
        return figure;
    }

    [BrowserFact]
    public async Task ExportAsync_TwoFiguresInOneBatch_WritesStandaloneSvgFilesWithOneLaunch()
    {
        using var processes = new BrowserProcesses();
        var figures = new List<(string, string)>
        {
            ("bars", BarFigure("bars", "alpha-trace", "Bars").ToJson()),
            ("restart-timeline.svg", TimelineFigure().ToJson()),
        };

        var paths = await SvgExport.ExportOnceAsync(figures, _folder.Path);

        Assert.Single(processes.Launches);
        Assert.Equal([Path.Combine(_folder.Path, "bars.svg"), Path.Combine(_folder.Path, "restart-timeline.svg")], paths);
        foreach (var path in paths)
        {
            var text = File.ReadAllText(path);
            Assert.StartsWith("<svg", text);
            var root = XDocument.Parse(text).Root!;
            Assert.Equal(Svg + "svg", root.Name);
            Assert.NotEmpty(root.Descendants(Svg + "path"));
        }

        var bars = XDocument.Load(paths[0]);
        Assert.Contains(bars.Descendants(Svg + "text"), t => t.Value == "alpha-trace");
        var timeline = XDocument.Load(paths[1]).Root!;
        Assert.Equal("640", (string?)timeline.Attribute("width"));
        Assert.Equal("320", (string?)timeline.Attribute("height"));
    }

    [BrowserFact]
    public async Task ExportAsync_FigureObjectsWithNonAsciiAndHtmlText_KeepTheTextInTheSvg()
    {
        var figure = BarFigure("accents", "café <&> trace", "Tité");

        var paths = await SvgExport.ExportOnceAsync([(figure.Name, figure.ToJson())], _folder.Path);

        var path = Assert.Single(paths);
        Assert.Equal("accents.svg", Path.GetFileName(path));
        var texts = XDocument.Load(path).Descendants(Svg + "text").Select(t => t.Value).ToList();
        Assert.Contains("Tité", texts);
        Assert.Contains("café <&> trace", texts);
    }

    [BrowserFact]
    public async Task ExportAsync_FigurePlotlyCannotDraw_ThrowsNamingTheFigureAndTheBrowserMessage()
    {
        var figures = new List<(string, string)>
        {
            ("good", BarFigure("good", "g", "Good").ToJson()),
            ("broken", """{"data":[null],"layout":{}}"""),
        };

        var error = await Assert.ThrowsAsync<SvgExportException>(() => SvgExport.ExportOnceAsync(figures, _folder.Path));

        var failure = Assert.Single(error.Failures);
        Assert.Equal("broken.svg", failure.FileName);
        Assert.Contains("Cannot read properties of null", failure.Problem);
        Assert.Contains("broken.svg", error.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_folder.Path));
    }

    [Fact]
    public async Task ExportAsync_InvalidJson_ThrowsNamingTheFigureWithoutStartingABrowser()
    {
        using var processes = new BrowserProcesses();
        var figures = new List<(string, string)>
        {
            ("fine", """{"data":[]}"""),
            ("half-written", """{"data":[{"type":"bar",""" ),
        };

        var error = await Assert.ThrowsAsync<SvgExportException>(() => SvgExport.ExportOnceAsync(figures, _folder.Path));

        var failure = Assert.Single(error.Failures);
        Assert.Equal("half-written.svg", failure.FileName);
        Assert.Contains("not valid JSON", failure.Problem);
        Assert.Empty(processes.Launches);
    }

    [Theory]
    [InlineData("../outside")]
    [InlineData("a/b")]
    [InlineData("")]
    [InlineData("what?")]
    public async Task ExportAsync_FileNameWithFolderOrReservedCharacter_ThrowsArgumentException(string fileName)
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(
            () => SvgExport.ExportOnceAsync([(fileName, """{"data":[]}""")], _folder.Path));

        Assert.Contains("not a usable SVG file name", error.Message);
    }

    [Fact]
    public async Task ExportAsync_TwoFiguresSameFileName_ThrowsNamingTheFile()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(
            () => SvgExport.ExportOnceAsync([("grid", "{}"), ("GRID.svg", "{}")], _folder.Path));

        Assert.Contains("'GRID.svg'", error.Message);
    }

    [Fact]
    public async Task ExportAsync_NoFigures_ReturnsEmptyAndWritesNothing()
    {
        var paths = await SvgExport.ExportOnceAsync(Array.Empty<(string, string)>(), Path.Combine(_folder.Path, "never"));

        Assert.Empty(paths);
        Assert.False(Directory.Exists(Path.Combine(_folder.Path, "never")));
    }
}
