using AddressInUse.Experiments.Teardown;

namespace AddressInUse.Tests.Experiments.Teardown;

public sealed class TimeWaitPileUpTests
{
    [Fact]
    public void Outcome_SteadyRateSeries_MedianLifetimePlateauAndPrediction()
    {
        // 10 per second for 70 s; entries live 60 s (+0–2 s of timer-wheel rounding), so the count levels off at about 600.
        var lifetimes = Enumerable.Range(0, 40).Select(i => (i * 0.1, 60.0 + (i % 20) * 0.1)).ToList();
        var series = Enumerable.Range(0, 281).Select(i => i * 0.25).Select(t => (t, (int)Math.Min(t * 10, 610))).ToList();

        var outcome = new TimeWaitPileUpOutcome(10, 700, series, lifetimes, 20, Quick: false);

        Assert.Equal(60.0, outcome.Shortest);
        Assert.Equal(61.9, outcome.Longest!.Value, 3);
        Assert.Equal(61.0, outcome.Median!.Value, 3);
        Assert.Equal(610, outcome.Plateau);
        Assert.Equal(610, outcome.PredictedPlateau!.Value, 3);
        Assert.Equal(["C1", "C3"], outcome.Cases.Select(c => c.Scenario));
    }

    [Fact]
    public void Chart_MeasuredMedianAbove60s_PlateauLineAndTableNameTheRateAndTheMeasuredMedian()
    {
        // The median is 61.07 s, not the 60 s a reader would multiply by, so the label shows both factors.
        var outcome = new TimeWaitPileUpOutcome(10, 700, [(0, 0), (70, 611)], [(0, 61.07)], 20, Quick: false);

        var line = outcome.Chart.Data[1];

        Assert.Equal("rate × measured median lifetime (10/s × 61.07 s) = 611", line["name"]!.GetValue<string>());
        var table = System.Net.WebUtility.HtmlDecode(outcome.ToHtml());
        Assert.Contains("rate × measured median lifetime", table);
        Assert.Contains("10/s × 61.07 s = 611", table);
        Assert.DoesNotContain("TIME_WAIT length", table);
    }

    [Fact]
    public void LifetimeChart_FewEntriesAndAnEmptyBin_WholeNumberTicksAndTheGapKept()
    {
        // Three entries at 60.0 s, one at 60.3 s: the bins at 60.1 and 60.2 s are empty.
        var outcome = new TimeWaitPileUpOutcome(10, 4, [(0, 0)], [(0, 60.01), (0.1, 60.02), (0.2, 60.05), (0.3, 60.31)], 20, Quick: false);

        var figure = outcome.LifetimeChart;

        var yaxis = figure.Layout["yaxis"]!;
        Assert.Equal(1, yaxis["dtick"]!.GetValue<int>());
        Assert.Equal("d", yaxis["tickformat"]!.GetValue<string>());
        var bars = Assert.Single(figure.Data);
        Assert.Equal([60.05, 60.35], bars["x"]!.AsArray().Select(x => x!.GetValue<double>()));
        Assert.Equal([3.0, 1.0], bars["y"]!.AsArray().Select(y => y!.GetValue<double>()));
    }

    [Fact]
    public async Task RunAsync_Quick_OneSecondAtTheRateAndNoLifetimes()
    {
        var outcome = await TimeWaitPileUp.RunAsync(connections: 600, quick: true);

        Assert.True(outcome.Quick);
        Assert.InRange(outcome.Created, 9, 12);
        Assert.Empty(outcome.Lifetimes);
        Assert.Null(outcome.Median);
        Assert.True(outcome.Series[^1].Count == outcome.Created, $"only {outcome.Series[^1].Count} TIME_WAIT entries seen of {outcome.Created} connections");
        Assert.Equal(["C3"], outcome.Cases.Select(c => c.Scenario));
    }

    [Fact]
    public async Task RunAsync_TooManyConnections_ClearError()
    {
        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => TimeWaitPileUp.RunAsync(connections: 100_000));

        Assert.Contains("60 to 3000", error.Message);
    }
}

public sealed class HalfClosedDataTests
{
    [LinuxFact]
    public async Task RunAsync_ClientShutsDownSending_ReadsEveryByteSentAfterItsFin()
    {
        var outcome = await HalfClosedData.RunAsync(bytes: 200_000);

        Assert.Equal(200_000, outcome.BytesAfterFin);
        Assert.Equal(200_000, outcome.BytesReceived);
        Assert.Equal("FIN_WAIT_2", outcome.ClientStateWhileReading);
        Assert.Equal("CLOSE_WAIT", outcome.ServerStateWhileSending);
        Assert.NotEqual("ok", outcome.ClientSendAfterShutdown);
    }
}
