using AddressInUse.Capture;

namespace AddressInUse.Tests.Capture;

public sealed class PacketTraceTests
{
    private static PacketTrace Trace(string name) => PacketTrace.FromJson(SegmentParserTests.Fixture(name)["trace"]!.AsObject());

    private static TracedSegment Segment(double atUs, string from, string flags, long seq, long ack) => new(atUs, from, flags, seq, ack, 65535, 0, null, null, 0);

    [Fact]
    public void FirstFinAcknowledgesPeerFin_ClientClosesFirst_OnlyTheServersFinAcknowledgesTheOther()
    {
        var trace = Trace("client-closes-first");

        Assert.False(trace.FirstFinAcknowledgesPeerFin("client"));
        Assert.True(trace.FirstFinAcknowledgesPeerFin("server"));
    }

    [Fact]
    public void FirstFinAcknowledgesPeerFin_FinsThatCrossed_NeitherAcknowledgesTheOther()
    {
        // Both FINs carry ack 1: each left before the other's FIN arrived, as in a simultaneous close.
        var segments = new[]
        {
            Segment(0, "client", "SYN", 0, 0), Segment(10, "server", "SYN,ACK", 0, 1), Segment(20, "client", "ACK", 1, 1),
            Segment(30, "server", "FIN,ACK", 1, 1), Segment(31, "client", "FIN,ACK", 1, 1),
            Segment(40, "client", "ACK", 2, 2), Segment(41, "server", "ACK", 2, 2),
        };
        var trace = new PacketTrace("127.0.0.1:1", "127.0.0.1:2", segments, [], new CaptureCount(7, 7, null, 0, 0, 0));

        Assert.False(trace.FirstFinAcknowledgesPeerFin("client"));
        Assert.False(trace.FirstFinAcknowledgesPeerFin("server"));
        Assert.Equal(new[] { 0, 0.01, 0.02, 0.03, 0.031, 0.04, 0.041 }, trace.Summary()["at_ms"]!.AsArray().Select(n => n!.GetValue<double>()));
        Assert.False(trace.Summary()["first_fin_acknowledges_peer_fin"]!["server"]!.GetValue<bool>());
    }

    [Fact]
    public void FirstFinAcknowledgesPeerFin_OneEndSentNoFin_IsNull()
    {
        var segments = new[] { Segment(0, "client", "SYN", 0, 0), Segment(10, "server", "SYN,ACK", 0, 1), Segment(20, "client", "FIN,ACK", 1, 1) };
        var trace = new PacketTrace("127.0.0.1:1", "127.0.0.1:2", segments, [], new CaptureCount(3, 3, null, 0, 0, 0));

        Assert.Null(trace.FirstFinAcknowledgesPeerFin("client"));
        Assert.Null(trace.FirstFinAcknowledgesPeerFin("server"));
    }

    [Fact]
    public void CaptureCountDescribe_OneInjectedSegment_CountsEveryCapturedSegmentAndSplitsItBySource()
    {
        var count = new CaptureCount(Frames: 14, Kept: 7, KernelOutSegs: 6, Injected: 1, SocketDrops: 0, CostMs: 0);

        Assert.True(count.Complete);
        Assert.Equal("capture complete: yes (7 segments captured: 6 sent by the kernel's TCP + 1 injected through the lab's raw socket, 0 dropped by the packet socket)", count.Describe());
    }

    [Fact]
    public void CaptureCountDescribe_KernelSentMoreThanCaptured_SaysNoAndGivesBothCounts()
    {
        var count = new CaptureCount(Frames: 12, Kept: 6, KernelOutSegs: 7, Injected: 0, SocketDrops: 0, CostMs: 0);

        Assert.False(count.Complete);
        Assert.Equal("capture complete: no (6 segments captured: 7 sent by the kernel's TCP, 0 dropped by the packet socket)", count.Describe());
    }
}
