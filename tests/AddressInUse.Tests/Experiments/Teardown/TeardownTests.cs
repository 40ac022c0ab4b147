using AddressInUse.Experiments.Teardown;
using AddressInUse.Native;
using AddressInUse.Notebook;

namespace AddressInUse.Tests.Experiments.Teardown;

public sealed class TeardownTests
{
    [UnixFact]
    public async Task WhoGetsTimeWait_EachOrderThreeRuns_TimeWaitAlwaysOnTheFirstCloser()
    {
        var comparison = await WhoGetsTimeWait.CompareAsync(rounds: 3);

        var serverFirst = comparison.Outcomes[0];
        var clientFirst = comparison.Outcomes[1];
        Assert.Equal(3, serverFirst.Count("server"));
        Assert.Equal(3, clientFirst.Count("client"));
        Assert.EndsWith("TIME_WAIT", serverFirst.Runs[0].PathOf(server: true));
        Assert.Contains("CLOSE_WAIT", serverFirst.Runs[0].PathOf(server: false));
        Assert.Contains("TIME_WAIT", comparison.Chart.ToJson());
        Assert.Contains("TIME_WAIT on server", comparison.ToHtml());
    }

    [LinuxFact]
    public async Task EveryStateVisible_StuffedPipeAndLastAck_AllTeardownStatesSampledOnLinux()
    {
        var outcome = await EveryStateVisible.RunAsync(maxSimultaneousAttempts: 20);

        foreach (var state in new[] { "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT" })
        {
            Assert.True(outcome.Captures.Single(c => c.State == state).Seen, $"{state} was not sampled: {outcome}");
        }
        Assert.InRange(outcome.Simultaneous.Attempts, 1, 20);
        Assert.NotNull(outcome.Runs[0].Chart);
    }

    [UnixFact]
    public async Task HalfClosedRestart_ClientClosesFirst_ServerRebindsWithoutOptions()
    {
        var outcome = await HalfClosedRestart.ClientClosesFirstAsync();

        Assert.Null(outcome.ServerStateAtBind);
        Assert.Equal(System.Net.NetworkInformation.TcpState.TimeWait, outcome.ClientStateAtBind);
        Assert.Equal("ok", outcome.Outcome);
        var record = Assert.Single(outcome.Cases);
        Assert.Equal(("A2", "none"), (record.Scenario, record.Holder));
    }

    [LinuxFact]
    public async Task HalfClosedRestart_PeerNeverCloses_FinWait2AndCloseWaitWithUnreadBytes_RebindFails()
    {
        var outcome = await HalfClosedRestart.PeerNeverClosesAsync();

        Assert.Equal(System.Net.NetworkInformation.TcpState.FinWait2, outcome.ServerStateAtBind);
        Assert.Equal(System.Net.NetworkInformation.TcpState.CloseWait, outcome.ClientStateAtBind);
        // Linux counts the FIN in rx_queue too (it takes one sequence number): 1000 bytes + FIN.
        Assert.InRange(outcome.ClientUnreadBytes!.Value, 1000, 1001);
        Assert.Equal("EADDRINUSE", outcome.Outcome);
        Assert.Equal("fin_wait_2", Assert.Single(outcome.Cases).Holder);
    }

    [LinuxFact]
    public async Task HalfClosedRestart_PeerNeverClosesBothReuseAddr_RebindSucceeds()
    {
        var outcome = await HalfClosedRestart.PeerNeverClosesAsync(SocketOptionSet.ReuseAddress);

        Assert.Equal("ok", outcome.Outcome);
        Assert.Equal(1, outcome.Readback!["SO_REUSEADDR"]);
    }
}
