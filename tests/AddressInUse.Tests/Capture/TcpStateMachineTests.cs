using AddressInUse.Capture;

namespace AddressInUse.Tests.Capture;

public sealed class TcpStateMachineTests
{
    private static PacketTrace Trace(string name) => PacketTrace.FromJson(SegmentParserTests.Fixture(name)["trace"]!.AsObject());

    [Fact]
    public void Infer_ClientClosesFirst_ClientEndsInTimeWaitServerPassesLastAck()
    {
        var trace = Trace("client-closes-first");

        var client = TcpStateMachine.Infer(trace, "client").Select(c => c.State);
        var server = TcpStateMachine.Infer(trace, "server").Select(c => c.State);

        Assert.Equal(["CLOSED", "SYN_SENT", "ESTABLISHED", "FIN_WAIT_1", "TIME_WAIT"], client);
        Assert.Equal(["LISTEN", "SYN_RECEIVED", "ESTABLISHED", "CLOSE_WAIT", "LAST_ACK", "CLOSED"], server);
    }

    [Fact]
    public void Infer_ServerEndLeavesLastAck_StampedAtTheClientsFinalAck()
    {
        var trace = Trace("client-closes-first");

        var closed = TcpStateMachine.Infer(trace, "server")[^1];

        Assert.Equal("CLOSED", closed.State);
        Assert.Equal(trace.Segments.Count - 1, closed.Cause);
        Assert.Equal(trace.Segments[^1].AtUs, closed.AtUs);
    }

    [Fact]
    public void Infer_LostLastAck_ServerStaysInLastAckUntilTheRetransmittedFinIsAnswered()
    {
        var trace = Trace("lost-last-ack");
        var dropped = trace.Segments.Select((s, i) => (s, i)).Single(x => x.s.Dropped).i;

        var closed = TcpStateMachine.Infer(trace, "server")[^1];

        Assert.Equal("CLOSED", closed.State);
        Assert.True(closed.Cause > dropped);
        Assert.Equal(2, trace.Segments.Count(s => s.From == "server" && s.Has("FIN")));
    }

    [Fact]
    public void Infer_InjectedResetIntoTimeWait_EndsItOnlyWithoutRfc1337()
    {
        var trace = Trace("rst-meets-time-wait");

        Assert.Equal("CLOSED", TcpStateMachine.FinalState(trace, "server", rfc1337: false));
        Assert.Equal("TIME_WAIT", TcpStateMachine.FinalState(trace, "server", rfc1337: true));
        // The RST was written by the lab, not sent by the client: the client's own path ends where its close left it.
        Assert.Equal("CLOSED", TcpStateMachine.FinalState(trace, "client"));
    }

    [Fact]
    public void Infer_TimeWaitOverflowCounted_ClientClosedWithTimeWaitSkipped()
    {
        var trace = Trace("lost-last-ack");

        var counted = TcpStateMachine.Infer(trace, "client", timeWaitSkipped: true);
        var uncounted = TcpStateMachine.Infer(trace, "client");

        Assert.Contains(uncounted, c => c.State == "TIME_WAIT");
        Assert.DoesNotContain(counted, c => c.State == "TIME_WAIT");
        Assert.Equal(TcpStateMachine.ClosedTimeWaitSkipped, counted[^1].State);
        Assert.Contains("tcp_max_tw_buckets", counted[^1].Because);
        Assert.Equal("CLOSED", TcpStateMachine.KernelName(counted[^1].State));
    }
}
