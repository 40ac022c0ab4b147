using AddressInUse.Experiments.Avoiding;

namespace AddressInUse.Tests.Experiments.Avoiding;

// Rebinds a fixed port or churns many ephemeral ports; kept apart from tests that rebind a specific port.
[Collection(SpecificPortCollection.Name)]
public sealed class LingerZeroTests
{
    [LinuxFact]
    public async Task Compare_OnLinux_FinLeavesTimeWaitAndDeliversAll_LingerZeroResetsLeavesNothingAndLosesOnlyWhatHadNotReachedThePeer()
    {
        var c = await LingerZero.CompareAsync();

        Assert.Equal("TIME_WAIT", c.Fin.CloserStateAfter);
        Assert.Equal("EOF", c.Fin.PeerSaw);
        Assert.Equal(c.Fin.BytesSent, c.Fin.BytesReceived);
        Assert.Equal("none", c.Abort.CloserStateAfter);
        Assert.Equal("ECONNRESET", c.Abort.PeerSaw);
        Assert.True(c.Abort.BytesLost > 0, c.ToString());
        // Every byte queued at the peer when the RST arrived was still read: the reset threw away only the closer's send queue.
        Assert.NotNull(c.Abort.PeerQueuedAtReset);
        Assert.True(c.Abort.PeerQueuedAtReset > 0, c.ToString());
        Assert.Equal(c.Abort.PeerQueuedAtReset, c.Abort.BytesReceived);
        Assert.Null(c.Fin.PeerQueuedAtReset);
    }

    [Fact]
    public void Cases_TwoOutcomes_AreF2RecordsWithTheLingerOptionAndThePeersErrno()
    {
        var c = new LingerZeroComparison(
            new LingerZeroOutcome(false, 100, 100, "EOF", "TIME_WAIT", 40000),
            new LingerZeroOutcome(true, 100, 10, "ECONNRESET", "none", 40001, PeerQueuedAtReset: 10));

        var cases = c.Cases.ToList();

        Assert.Equal(["close-fin", "close-linger-zero"], cases.Select(x => x.Case));
        Assert.All(cases, x => Assert.Equal("F2", x.Scenario));
        Assert.Equal("ok", cases[0].Outcome);
        Assert.Null(cases[0].Errno);
        Assert.Equal(["SO_LINGER=0"], cases[1].First.Options);
        Assert.Equal("ECONNRESET", cases[1].Outcome);
        Assert.Equal(90, (long)cases[1].Details!["bytes_lost"]!);
        Assert.Equal(10, (long)cases[1].Details!["peer_queued_at_reset"]!);
        Assert.Null(cases[0].Details!["peer_queued_at_reset"]);
        Assert.Contains("SO_LINGER {on, 0}", c.ToHtml());
        Assert.Contains("no RST", c.ToHtml());
    }
}
