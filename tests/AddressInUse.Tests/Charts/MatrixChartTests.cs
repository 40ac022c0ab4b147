using AddressInUse.Charts;

namespace AddressInUse.Tests.Charts;

public sealed class MatrixChartTests
{
    private static MatrixPanel Panel(string title, MatrixCell?[][] cells) =>
        new(title, new[] { "none", "REUSEADDR" }, new[] { "none", "REUSEADDR" }, cells.Select(r => (IReadOnlyList<MatrixCell?>)r).ToList());

    private static readonly MatrixCell Ok = new(MatrixCellKind.Ok, "ok", "bind: ok");
    private static readonly MatrixCell Refused = new(MatrixCellKind.Failed, "EADDRINUSE", "bind: EADDRINUSE (98)");

    [Fact]
    public void Build_TwoPanels_OneHeatmapPerPanelOnItsOwnAxesPlusALegendTracePerKind()
    {
        var figure = MatrixChart.Build("m", "t", new[]
        {
            Panel("listener", new[] { new MatrixCell?[] { Refused, Refused }, new MatrixCell?[] { Refused, Refused } }),
            Panel("TIME_WAIT", new[] { new MatrixCell?[] { Refused, Refused }, new MatrixCell?[] { Refused, Ok } }),
        }, "first", "second");

        var heatmaps = figure.Data.Where(t => t["type"]!.GetValue<string>() == "heatmap").ToList();
        Assert.Equal(2, heatmaps.Count);
        Assert.Equal("x", heatmaps[0]["xaxis"]!.GetValue<string>());
        Assert.Equal("y2", heatmaps[1]["yaxis"]!.GetValue<string>());
        Assert.Equal(3, figure.Data.Count(t => t["type"]!.GetValue<string>() == "scatter"));
        Assert.Equal("reversed", figure.Layout["yaxis2"]!["autorange"]!.GetValue<string>());
        Assert.Equal(2, figure.Layout["annotations"]!.AsArray().Count);
    }

    [Fact]
    public void Build_CellKinds_MapToFixedBandsAndHoverCarriesTheErrno()
    {
        var figure = MatrixChart.Build("m", "t", new[]
        {
            Panel("p", new[] { new MatrixCell?[] { Refused, new(MatrixCellKind.LaterStepFailed, "EADDRINUSE", "listen") }, new MatrixCell?[] { null, Ok } }),
        }, "first", "second");

        var heatmap = figure.Data[0];
        Assert.Equal(0, heatmap["z"]![0]![0]!.GetValue<int>());
        Assert.Equal(1, heatmap["z"]![0]![1]!.GetValue<int>());
        Assert.Null(heatmap["z"]![1]![0]);
        Assert.Equal(2, heatmap["z"]![1]![1]!.GetValue<int>());
        Assert.Equal("bind: EADDRINUSE (98)", heatmap["hovertext"]![0]![0]!.GetValue<string>());
        Assert.Equal("not measured", heatmap["hovertext"]![1]![0]!.GetValue<string>());
    }

    [Fact]
    public void Build_DiffersAndNotMeasured_OwnBandsAndLegendOnlyForTheKindsItNames()
    {
        var legend = new Dictionary<MatrixCellKind, string> { [MatrixCellKind.Differs] = "differs", [MatrixCellKind.NotMeasured] = "not measured" };

        var figure = MatrixChart.Build("m", "t", new[]
        {
            Panel("p", new[] { new MatrixCell?[] { new(MatrixCellKind.Differs, "differs", "h"), new(MatrixCellKind.NotMeasured, "not measured", "h") }, new MatrixCell?[] { Ok, Refused } }),
        }, "first", "second", legend: legend);

        var heatmap = figure.Data[0];
        Assert.Equal(3, heatmap["z"]![0]![0]!.GetValue<int>());
        Assert.Equal(4, heatmap["z"]![0]![1]!.GetValue<int>());
        Assert.Equal(MatrixChart.Colors.Count - 1, heatmap["zmax"]!.GetValue<int>());
        // Each kind's colour fills its own share of the scale.
        Assert.Equal(MatrixChart.Colors[MatrixCellKind.Differs], heatmap["colorscale"]![6]![1]!.GetValue<string>());
        Assert.Equal(new[] { "differs", "not measured" }, figure.Data.Where(t => t["type"]!.GetValue<string>() == "scatter").Select(t => t["name"]!.GetValue<string>()));
    }

    [Fact]
    public void Build_CellsOfWrongShape_ClearError()
    {
        var bad = new MatrixPanel("p", new[] { "a", "b" }, new[] { "x" }, new[] { (IReadOnlyList<MatrixCell?>)new MatrixCell?[] { Ok } });

        var e = Assert.Throws<ArgumentException>(() => MatrixChart.Build("m", "t", new[] { bad }, "r", "c"));

        Assert.Contains("2 rows × 1 columns", e.Message);
    }

    [Fact]
    public void Build_NoPanels_ClearError()
    {
        var e = Assert.Throws<ArgumentException>(() => MatrixChart.Build("m", "t", Array.Empty<MatrixPanel>(), "r", "c"));

        Assert.Contains("at least one panel", e.Message);
    }

    [Fact]
    public void Build_FivePanelsTwoToARow_ThreeGridRows()
    {
        var panels = Enumerable.Range(0, 5).Select(i => Panel($"p{i}", new[] { new MatrixCell?[] { Ok, Ok }, new MatrixCell?[] { Ok, Ok } })).ToList();

        var figure = MatrixChart.Build("m", "t", panels, "r", "c", columns: 2);

        Assert.Equal(3, figure.Layout["grid"]!["rows"]!.GetValue<int>());
        Assert.Equal(2, figure.Layout["grid"]!["columns"]!.GetValue<int>());
        Assert.NotNull(figure.Layout["xaxis5"]);
    }

    [Fact]
    public void Build_ThreeToARowWiderThanThePage_WrapsToFitTheColumn()
    {
        // Four option columns of "EADDRINUSE" cells, as in chapter 05: three such grids are wider than the page.
        MatrixCell?[] Row() => [Refused, Refused, Refused, Refused];
        var panels = Enumerable.Range(0, 6).Select(i => new MatrixPanel($"p{i}", ["none", "REUSEADDR"], ["none", "REUSEADDR", "REUSEPORT", "both"], [Row(), Row()])).ToList();

        var figure = MatrixChart.Build("m", "t", panels, "r", "c", columns: 3);

        Assert.True(figure.Layout["width"]!.GetValue<int>() <= MatrixChart.MaxWidth, $"width {figure.Layout["width"]}");
        Assert.Equal(2, figure.Layout["grid"]!["columns"]!.GetValue<int>());
        Assert.Equal(3, figure.Layout["grid"]!["rows"]!.GetValue<int>());
    }

    [Fact]
    public void Build_InnerGridWithItsOwnRowLabels_StillFitsThePageColumn()
    {
        var single = new MatrixPanel("nothing", new[] { "(no first socket)" }, new[] { "none", "REUSEADDR" }, new[] { (IReadOnlyList<MatrixCell?>)new MatrixCell?[] { Ok, Ok } });
        var panels = new[] { single }.Concat(Enumerable.Range(0, 5).Select(i => Panel($"p{i}", new[] { new MatrixCell?[] { Ok, Ok }, new MatrixCell?[] { Ok, Ok } }))).ToList();

        var figure = MatrixChart.Build("m", "t", panels, "r", "c", columns: 3);

        Assert.True(figure.Layout["width"]!.GetValue<int>() <= MatrixChart.MaxWidth, $"width {figure.Layout["width"]}");
        Assert.True(figure.Layout["yaxis2"]!["showticklabels"]!.GetValue<bool>(), "the inner grid prints its own row labels");
    }

    [Fact]
    public void Build_TwoGridsOfErrnoCells_EachCellFitsItsTextAndEveryGridNamesItsRows()
    {
        MatrixCell?[] Row() => [Refused, Refused, Refused, Refused];
        string[] options = ["none", "REUSEADDR", "REUSEPORT", "both"];
        var panels = new[] { new MatrixPanel("listener", options, options, [Row(), Row(), Row(), Row()]), new MatrixPanel("TIME_WAIT", options, options, [Row(), Row(), Row(), Row()]) };

        var figure = MatrixChart.Build("m", "t", panels, "r", "c", columns: 2);

        var layout = figure.Layout;
        var plotWidth = layout["width"]!.GetValue<int>() - layout["margin"]!["l"]!.GetValue<int>() - layout["margin"]!["r"]!.GetValue<int>();
        foreach (var suffix in new[] { "", "2" })
        {
            var domain = layout["xaxis" + suffix]!["domain"]!.AsArray().Select(d => d!.GetValue<double>()).ToArray();
            var cellPx = (domain[1] - domain[0]) * plotWidth / 4;
            // "EADDRINUSE" in 9 px upper case is about 60 px wide.
            Assert.True(cellPx >= 62, $"cells of grid '{suffix}' are {cellPx:0} px wide");
            Assert.True(layout["yaxis" + suffix]!["showticklabels"]!.GetValue<bool>());
        }
        var left = layout["xaxis"]!["domain"]![1]!.GetValue<double>();
        var right = layout["xaxis2"]!["domain"]![0]!.GetValue<double>();
        // The right grid's own row labels ("REUSEADDR") need room between the two grids.
        Assert.True((right - left) * plotWidth >= 9 * 7, $"{(right - left) * plotWidth:0} px between the grids");
        Assert.True(layout["width"]!.GetValue<int>() <= MatrixChart.MaxWidth);
    }
}
