using System.Text.Json.Nodes;
using AddressInUse.Charts;

namespace AddressInUse.Tests.Charts;

/// <summary>The figure model serialises to exactly plotly's {"data":[...],"layout":{...}} shape.</summary>
public sealed class FigureTests
{
    private static Figure SampleFigure()
    {
        var figure = new Figure("restart-timeline", "Restart timeline");
        figure.Data.Add(Traces.Bars("connections", ["a", "b"], [1, 2]));
        figure.Layout["xaxis"] = new JsonObject { ["title"] = new JsonObject { ["text"] = "seconds" } };
        return figure;
    }

    [Fact]
    public void ToJson_SimpleFigure_HasOnlyDataAndLayoutAtTheTop()
    {
        var root = JsonNode.Parse(SampleFigure().ToJson())!.AsObject();

        Assert.Equal(["data", "layout"], root.Select(p => p.Key).Order().ToArray());
        Assert.IsType<JsonArray>(root["data"]);
        Assert.Equal("bar", (string?)root["data"]![0]!["type"]);
        Assert.Equal("Restart timeline", (string?)root["layout"]!["title"]!["text"]);
        Assert.Equal("seconds", (string?)root["layout"]!["xaxis"]!["title"]!["text"]);
    }

    [Fact]
    public void ToJson_AnyFigure_SetsLayoutMetaName()
    {
        var figure = SampleFigure();
        figure.Layout["meta"] = new JsonObject { ["source"] = "experiment 3" };

        var meta = JsonNode.Parse(figure.ToJson())!["layout"]!["meta"]!;

        Assert.Equal("restart-timeline", (string?)meta["name"]);
        Assert.Equal("experiment 3", (string?)meta["source"]);
    }

    [Fact]
    public void ToJson_CalledTwice_DoesNotChangeTheFigure()
    {
        var figure = SampleFigure();

        var first = figure.ToJson();
        var second = figure.ToJson();

        Assert.Equal(first, second);
        Assert.Null(figure.Layout["meta"]);
    }

    [Fact]
    public void FromJson_OwnOutput_RoundTripsExactly()
    {
        var figure = SampleFigure();
        var json = figure.ToJson();

        var back = Figure.FromJson(json);

        Assert.Equal("restart-timeline", back.Name);
        Assert.Single(back.Data);
        Assert.Equal(json, back.ToJson());
    }

    [Fact]
    public void FromJson_PlotlyJsonWithoutMeta_IsNamedFigure()
    {
        var back = Figure.FromJson("""{"data":[{"type":"scatter","x":[1],"y":[2]}]}""");

        Assert.Equal("figure", back.Name);
        Assert.DoesNotContain(back.Layout, p => p.Key != "meta");
    }

    // The shape GenericChart.toFigureJson writes in Plotly.NET: data, a layout carrying a template, and an empty "frames" array.
    internal const string PlotlyNetFigureJson = """
        {"data":[{"type":"bar","x":["TIME_WAIT","ESTABLISHED"],"y":[3,1],"orientation":"v","marker":{"color":"rgba(99, 110, 250, 1.0)"}}],
         "layout":{"width":600,"height":400,"title":{"text":"From Plotly.NET"},
                   "template":{"layout":{"paper_bgcolor":"white","plot_bgcolor":"white"},"data":{"bar":[{"marker":{"line":{"color":"white"}}}]}}},
         "frames":[]}
        """;

    [Fact]
    public void FromJson_PlotlyNetFigureJson_KeepsItsTracesAndLayoutAndIgnoresFrames()
    {
        var back = Figure.FromJson(PlotlyNetFigureJson);

        var trace = Assert.Single(back.Data);
        Assert.Equal("bar", (string?)trace["type"]);
        Assert.Equal(3, (int)trace["y"]![0]!);
        Assert.Equal("From Plotly.NET", (string?)back.Layout["title"]!["text"]);
        Assert.Equal("white", (string?)back.Layout["template"]!["layout"]!["paper_bgcolor"]);
        var written = JsonNode.Parse(back.ToJson())!.AsObject();
        Assert.Equal(["data", "layout"], written.Select(p => p.Key).Order().ToArray());
        Assert.Equal("figure", (string?)written["layout"]!["meta"]!["name"]);
    }

    [Fact]
    public void FromJson_XPlotStringTitles_BecomeTitleObjectsPlotlyDraws()
    {
        // XPlot.Plotly 4.1.0's Newtonsoft.Json output of its traces and layout: plain string titles, which plotly.js drops.
        const string xplot = """{"data":[{"type":"scatter","x":[1,2],"y":[3,4],"name":"rtt"}],"layout":{"title":"My cases","xaxis":{"title":"run"},"yaxis2":{"title":"ms"},"showlegend":true}}""";

        var figure = Figure.FromJson(xplot);

        Assert.Equal("My cases", (string?)figure.Layout["title"]!["text"]);
        Assert.Equal("run", (string?)figure.Layout["xaxis"]!["title"]!["text"]);
        Assert.Equal("ms", (string?)figure.Layout["yaxis2"]!["title"]!["text"]);
        Assert.True((bool)figure.Layout["showlegend"]!);
        Assert.Equal("My cases", (string?)JsonNode.Parse(figure.ToJson())!["layout"]!["title"]!["text"]);
    }

    [Theory]
    [InlineData("{not json", "not valid JSON")]
    [InlineData("[1,2]", "expected a JSON object")]
    [InlineData("""{"data":{}}""", "\"data\" must be an array")]
    [InlineData("""{"data":[1]}""", "data[0] is not a JSON object")]
    [InlineData("""{"layout":[]}""", "\"layout\" must be a JSON object")]
    public void FromJson_NotAFigure_ThrowsFormatExceptionNamingTheProblem(string json, string expected)
    {
        var error = Assert.Throws<FormatException>(() => Figure.FromJson(json));

        Assert.Contains(expected, error.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("restart timeline")]
    [InlineData("../escape")]
    [InlineData("-leading-dash")]
    public void Constructor_NameNotASlug_ThrowsExplainingTheRule(string name)
    {
        var error = Assert.Throws<ArgumentException>(() => new Figure(name));

        Assert.Contains("file-name-safe slug", error.Message);
    }

    [Fact]
    public void ToJson_LayoutMetaNotAnObject_ThrowsNamingTheFigure()
    {
        var figure = new Figure("grid");
        figure.Layout["meta"] = new JsonArray(1, 2);

        var error = Assert.Throws<InvalidOperationException>(() => figure.ToJson());

        Assert.Contains("'grid'", error.Message);
        Assert.Contains("layout.meta", error.Message);
    }

    [Fact]
    public void ToJson_TextWithHtml_IsSafeInsideAScriptElement()
    {
        var figure = new Figure("html", "</script><b>&</b>");

        var json = figure.ToJson();

        Assert.DoesNotContain("</script", json, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("</script><b>&</b>", (string?)JsonNode.Parse(json)!["layout"]!["title"]!["text"]);
    }

    [Fact]
    public void Segments_StartsAndEnds_BecomeHorizontalBarsWithBaseAndLength()
    {
        var trace = Traces.Segments("TIME_WAIT", ["conn 1", "conn 2"], [1.0, 2.5], [61.0, 3.0], color: "#c33", hoverText: ["a", "b"]);

        Assert.Equal("bar", (string?)trace["type"]);
        Assert.Equal("h", (string?)trace["orientation"]);
        Assert.Equal([1.0, 2.5], trace["base"]!.AsArray().Select(n => (double)n!).ToArray());
        Assert.Equal([60.0, 0.5], trace["x"]!.AsArray().Select(n => (double)n!).ToArray());
        Assert.Equal("#c33", (string?)trace["marker"]!["color"]);
        Assert.Equal("b", (string?)trace["hovertext"]![1]);
    }

    [Fact]
    public void Segments_ListsOfDifferentLength_ThrowsNamingTheCounts()
    {
        var error = Assert.Throws<ArgumentException>(() => Traces.Segments("s", ["a"], [1.0, 2.0], [3.0]));

        Assert.Contains("rows (1), starts (2) and ends (1)", error.Message);
    }

    [Fact]
    public void Numbers_NaNAndInfinity_BecomeNullGaps()
    {
        var array = Traces.Numbers([1.0, double.NaN, double.PositiveInfinity]);

        Assert.Equal("[1,null,null]", array.ToJsonString());
    }

    [Fact]
    public void Markers_CategoryRows_IsAMarkerScatter()
    {
        var trace = Traces.Markers("bind failed", [3.0], ["server"], color: "red", symbol: "x");

        Assert.Equal("scatter", (string?)trace["type"]);
        Assert.Equal("markers", (string?)trace["mode"]);
        Assert.Equal("x", (string?)trace["marker"]!["symbol"]);
        Assert.Equal("server", (string?)trace["y"]![0]);
    }

    [Fact]
    public void Heatmap_Rows_BecomeZMatrix()
    {
        var trace = Traces.Heatmap("grid", [[1.0, 2.0], [double.NaN, 4.0]], ["off", "on"], ["linux", "windows"]);

        Assert.Equal("heatmap", (string?)trace["type"]);
        Assert.Equal("[[1,2],[null,4]]", trace["z"]!.ToJsonString());
        Assert.Equal("windows", (string?)trace["y"]![1]);
    }

    [Fact]
    public void ToJson_TitledFigureWithASmallTopMargin_TitleSitsBelowTheToolbarBandAndTheMarginMakesRoomForBoth()
    {
        var figure = new Figure("t", "A1 restart after kill");
        figure.Layout["margin"] = new JsonObject { ["t"] = 40, ["l"] = 200 };

        var layout = figure.ToJsonObject()["layout"]!;

        var title = layout["title"]!;
        Assert.Equal("container", title["yref"]!.GetValue<string>());
        Assert.Equal("top", title["yanchor"]!.GetValue<string>());
        Assert.Equal(Figure.ToolbarHeight, title["pad"]!["t"]!.GetValue<int>());
        Assert.Equal("left", title["xanchor"]!.GetValue<string>());
        Assert.True(double.Parse(layout["margin"]!["t"]!.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture) >= Figure.ToolbarHeight + 24 + 28, layout.ToJsonString());
        Assert.Equal(200, layout["margin"]!["l"]!.GetValue<int>());
        // The figure itself is not changed by serialising it.
        Assert.Equal(40, figure.Layout["margin"]!["t"]!.GetValue<int>());
    }

    [Fact]
    public void ToJson_UntitledFigure_LayoutLeftAlone()
    {
        var figure = new Figure("t");

        Assert.Null(figure.ToJsonObject()["layout"]!["margin"]);
    }
}
