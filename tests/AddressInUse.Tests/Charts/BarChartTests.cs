using AddressInUse.Charts;
using AddressInUse.Experiments.Avoiding;
using AddressInUse.Experiments.ClientSide;

namespace AddressInUse.Tests.Charts;

public sealed class BarChartTests
{
    [Fact]
    public void Build_TwoSeries_GroupedBarsLabelledWithTheirValues()
    {
        var figure = BarChart.Build("b", "t", ["a", "b"], [new BarSeries("one", [1, 2500]), new BarSeries("two", [3, 4], "#123456")], "count");

        Assert.Equal(2, figure.Data.Count);
        Assert.Equal("group", figure.Layout["barmode"]!.GetValue<string>());
        Assert.Equal(["1", "2,500"], figure.Data[0]["text"]!.AsArray().Select(n => n!.GetValue<string>()).ToArray());
        Assert.Equal("#123456", figure.Data[1]["marker"]!["color"]!.GetValue<string>());
        Assert.Equal("linear", figure.Layout["yaxis"]!["type"]!.GetValue<string>());
        Assert.True(figure.Layout["width"]!.GetValue<int>() <= MatrixChart.MaxWidth);
    }

    [Fact]
    public void Build_SeriesOfWrongLength_ClearError()
    {
        var e = Assert.Throws<ArgumentException>(() => BarChart.Build("b", "t", ["a", "b"], [new BarSeries("one", [1])], "count"));

        Assert.Contains("'one' has 1 values for 2 categories", e.Message);
    }

    [Fact]
    public void Build_ZeroOnALogAxis_ClearError()
    {
        var e = Assert.Throws<ArgumentException>(() => BarChart.Build("b", "t", ["a"], [new BarSeries("one", [0])], "count", logScale: true));

        Assert.Contains("logarithmic", e.Message);
    }

    [Fact]
    public void F1Chart_TwoDesigns_ServerAndClientBarsCarryTheCounts()
    {
        var comparison = new ProtocolDesignComparison(
            new ProtocolDesignOutcome("server-closes-first", 20, 0, 20, 0, 0),
            new ProtocolDesignOutcome("client-closes-first", 20, 1, 1, 20, 1));

        var figure = comparison.Chart;

        Assert.Equal("f1-who-holds-time-wait", figure.Name);
        Assert.Equal([20.0, 1.0], Values(figure, 0));
        Assert.Equal([0.0, 20.0], Values(figure, 1));
    }

    [Fact]
    public void F2Chart_TwoCloses_LabelsSayWhatStayedAndHowThePeerEnded()
    {
        var comparison = new LingerZeroComparison(new LingerZeroOutcome(false, 1000, 1000, "EOF", "TIME_WAIT", 5000), new LingerZeroOutcome(true, 1000, 300, "ECONNRESET", "none", 5001));

        var figure = comparison.Chart;

        Assert.Equal("f2-linger-zero", figure.Name);
        var labels = figure.Data[0]["x"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();
        Assert.Contains("TIME_WAIT", labels[0]);
        Assert.Contains("ECONNRESET", labels[1]);
        Assert.Equal([1000.0, 300.0], Values(figure, 1));
    }

    [Fact]
    public void E2Chart_KnownRange_HeldDrawnAtItsTrueShareOfTheRangeOnALinearAxis_UnknownRange_NoChart()
    {
        var figure = new EphemeralPortsOutcome(200, 200, 32768, 60999, "net.ipv4.ip_local_port_range").Chart;

        Assert.NotNull(figure);
        // 200 of 28,232 ports: a sliver of 0.7 % of the bar, as on a linear axis from 0 to the range's size.
        Assert.Equal(200.0, figure.Data[0]["x"]![0]!.GetValue<double>());
        Assert.Equal(28032.0, figure.Data[1]["x"]![0]!.GetValue<double>());
        Assert.Equal(200.0, figure.Data[1]["base"]![0]!.GetValue<double>());
        Assert.Null(figure.Layout["xaxis"]!["type"]);
        Assert.Equal([0, 28232], figure.Layout["xaxis"]!["range"]!.AsArray().Select(n => n!.GetValue<int>()));
        Assert.Contains("0.71%", figure.Layout["title"]!["text"]!.GetValue<string>());
        Assert.Null(new EphemeralPortsOutcome(200, 200, null, null, "not readable on this OS").Chart);
    }

    private static double[] Values(Figure figure, int trace) => figure.Data[trace]["y"]!.AsArray().Select(n => n!.GetValue<double>()).ToArray();
}
