using AddressInUse.Charts;
using AddressInUse.Experiments.Production;
using AddressInUse.Lab;
using AddressInUse.Tests.Lab;

namespace AddressInUse.Tests.Experiments.Production;

public sealed class HttpClientExhaustionTests
{
    [LabFact]
    public async Task RunAsync_SmallRangeInTheLab_PerRequestRunsOutOnlyWithoutTwReuseAndTheFixesDoNot()
    {
        var before = LabSettings.Read("net.ipv4.ip_local_port_range");

        var outcome = await HttpClientExhaustion.RunAsync(ports: 32, requestsPerPort: 2);

        var bug = outcome.Find("per-request", "0")!;
        // The loop runs out where the range does: every port is in TIME_WAIT, the next connect gets EADDRNOTAVAIL.
        Assert.Equal(bug.Ports + 1, bug.FailedAt);
        Assert.Equal("EADDRNOTAVAIL", bug.Errno?.Name);
        Assert.Equal(["HttpRequestException", "SocketException"], bug.Chain.Select(l => l.Type));
        Assert.Equal("AddressNotAvailable", bug.Socket!.SocketError);
        Assert.Equal("ConnectionError", bug.Chain[0].HttpRequestError);
        Assert.Equal(bug.Ports, bug.ClientTimeWait);
        var laptop = outcome.Find("per-request", "2")!;
        Assert.Null(laptop.FailedAt);
        Assert.Equal(laptop.Requested, laptop.Connections);
        foreach (var fix in new[] { outcome.Find("shared", "0")!, outcome.Find("factory", "0")! })
        {
            Assert.Null(fix.FailedAt);
            Assert.Equal(fix.Requested, fix.Succeeded);
            Assert.True(fix.ClientTimeWait < fix.Ports / 2, $"{fix.Use} left {fix.ClientTimeWait} TIME_WAIT entries");
        }
        Assert.Equal(1, outcome.Find("factory", "0")!.Connections);
        Assert.Equal(4, outcome.Cases.Count());
        Assert.Equal(before, LabSettings.Read("net.ipv4.ip_local_port_range"));
    }

    [Fact]
    public void Chart_TimeWaitBars_UseTheCourseTimeWaitColour()
    {
        var run = new HttpClientRun("per-request", "0", "40000 40031", 32, 64, 32, 33, [], 32, 32, 16, 4);
        var outcome = new HttpClientExhaustionOutcome(new LabAvailability(true, ""), [run], new Dictionary<string, string?>());

        var timeWait = outcome.Chart!.Data.Single(t => $"{t["name"]}".Contains("TIME_WAIT"));

        Assert.Equal(TimelineChart.StateColors["TIME_WAIT"], $"{timeWait["marker"]?["color"]}");
    }

    [Fact]
    public async Task RunAsync_RangeOutsideLimits_ClearError()
    {
        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => HttpClientExhaustion.RunAsync(ports: 2));

        Assert.Contains("ports must be 8-1000", error.Message);
    }
}
