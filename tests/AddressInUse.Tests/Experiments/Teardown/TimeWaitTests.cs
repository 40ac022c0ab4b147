using AddressInUse.Experiments.Teardown;

namespace AddressInUse.Tests.Experiments.Teardown;

public sealed class TimeWaitTests
{
    [LinuxFact]
    public async Task MeasureDuration_Quick_TimeWaitBornAndBindWithoutOptionsRefused()
    {
        var outcome = await TimeWaitExperiments.MeasureDurationAsync(quick: true);

        Assert.Null(outcome.Seconds);
        Assert.Equal("EADDRINUSE", outcome.BindDuring.Outcome);
        Assert.Equal("time_wait", Assert.Single(outcome.Cases).Holder);
    }

    /// <summary>The one full wait of the suite: the entry is watched from birth until the kernel drops it.</summary>
    [LinuxFact]
    public async Task MeasureDuration_FullWait_EntryDisappearsAndPortBindsAgain()
    {
        var reports = 0;
        var outcome = await TimeWaitExperiments.MeasureDurationAsync(quick: false, new Progress<TimeSpan>(_ => Interlocked.Increment(ref reports)));

        Assert.NotNull(outcome.Seconds);
        Assert.Equal("EADDRINUSE", outcome.BindDuring.Outcome);
        Assert.Equal("ok", outcome.BindAfter!.Outcome);
        Assert.Equal(2, outcome.Cases.Count());
        Assert.Contains("TIME_WAIT", outcome.Chart.ToJson());
    }

    [LinuxFact]
    public async Task PileUp_QuickFiftyServerClosedConnections_FiftyTimeWaitEntries()
    {
        var outcome = await TimeWaitExperiments.PileUpAsync(connections: 50, quick: true);

        Assert.Equal(50, outcome.Peak);
        Assert.False(outcome.Drained);
        Assert.Equal(0, outcome.Series[0].Count);
    }

    [LinuxFact]
    public async Task CloseListener_NoPending_NothingLeftAndRebindOk()
    {
        var outcome = await TimeWaitExperiments.CloseListenerAsync(0);

        Assert.Empty(outcome.LeftBehind);
        Assert.Equal("ok", outcome.Rebind.Outcome);
    }

    [LinuxFact]
    public async Task CloseListener_ThreeUnaccepted_ClientsResetAndRecorded()
    {
        var outcome = await TimeWaitExperiments.CloseListenerAsync(3);

        Assert.Equal(3, outcome.ClientReads.Count);
        Assert.All(outcome.ClientReads, r => Assert.Equal("ECONNRESET", r));
        Assert.Equal("B4", Assert.Single(outcome.Cases).Scenario);
    }
}
